// The JSON of a stored model, as GET /v1/learning/models lists it: {"name","kind","region",
// "dataset_version","window_steps","step_dim","hidden","epochs","rounds","seed",
// "train_examples","created_ms","test"}, where "test" is the evaluation on the region's held-out
// split, {"examples","positives","auc" (null with one class only),"accuracy","log_loss"}, or
// null when the model was not evaluated.
#pragma once

#include <boost/json/object.hpp>

#include "fleetgate/learning/checkpoint.h"

namespace fleetgate::learning {

boost::json::object to_json(const StoredModel& model);

}  // namespace fleetgate::learning
