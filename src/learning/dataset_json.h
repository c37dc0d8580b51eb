// The JSON of a stored dataset's summary, as `fleetgate train datasets --json` prints it and
// GET /v1/learning/datasets lists it: {"version","region","window_steps","step_dim",
// "train_examples","test_examples","train_positives","test_positives","counts_per_trigger":{..}}.
#pragma once

#include <boost/json/object.hpp>

#include "fleetgate/learning/dataset.h"

namespace fleetgate::learning {

boost::json::object to_json(const DatasetInfo& info);

}  // namespace fleetgate::learning
