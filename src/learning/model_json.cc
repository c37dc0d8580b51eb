#include "fleetgate/learning/model_json.h"

#include <boost/json.hpp>

namespace fleetgate::learning {

boost::json::object to_json(const StoredModel& model) {
  const ModelMeta& m = model.meta;
  boost::json::object out{{"name", model.name},
                          {"kind", m.kind},
                          {"region", m.region},
                          {"dataset_version", m.dataset_version},
                          {"window_steps", m.spec.window_steps},
                          {"step_dim", m.spec.step_dim},
                          {"hidden", m.spec.hidden},
                          {"epochs", m.epochs},
                          {"rounds", m.rounds},
                          {"seed", m.seed},
                          {"train_examples", m.train_examples},
                          {"created_ms", m.created_ms}};
  if (!m.test) {
    out["test"] = nullptr;
    return out;
  }
  const BinaryMetrics& t = *m.test;
  out["test"] = boost::json::object{{"examples", t.examples},
                                    {"positives", t.positives},
                                    {"auc", t.auc ? boost::json::value(*t.auc) : boost::json::value(nullptr)},
                                    {"accuracy", t.accuracy},
                                    {"log_loss", t.log_loss}};
  return out;
}

}  // namespace fleetgate::learning
