#include "fleetgate/learning/dataset_json.h"

#include <boost/json.hpp>

namespace fleetgate::learning {

boost::json::object to_json(const DatasetInfo& d) {
  boost::json::object counts;
  for (const auto& [trigger, n] : d.counts_per_trigger) counts[trigger] = n;
  return boost::json::object{{"version", d.version},
                             {"region", d.region},
                             {"window_steps", d.window_steps},
                             {"step_dim", d.step_dim},
                             {"train_examples", d.train_examples},
                             {"test_examples", d.test_examples},
                             {"train_positives", d.train_positives},
                             {"test_positives", d.test_positives},
                             {"counts_per_trigger", std::move(counts)}};
}

}  // namespace fleetgate::learning
