// Read-only HTTP routes of learning, for operator, dpo, auditor and admin:
//   GET /v1/learning/datasets[?region=ID]  the datasets curated in each region
//       ({"object":"list","data":[dataset_json.h's objects]}, oldest version first);
//   GET /v1/learning/models[?region=ID]    the models trained in each region and stored there
//       (checkpoints "local", "federated", "federated-global"; {"object":"list","data":
//       [model_json.h's objects]}, in name order), each with its held-out evaluation.
// Both list every region this node serves that the caller's grant covers, in config order; with
// `region`, that region only: 403 outside the grant, 404 when this node does not serve it.
// Summaries only: no example and no weight leaves the region's store.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "fleetgate/core/result.h"
#include "fleetgate/http/server.h"
#include "fleetgate/store/kv_store.h"

namespace fleetgate::learning {

// `stores`: the store of each region this node serves, in the order to list them.
// REQUIRES: the stores outlive the server.
Status register_learning_routes(http::Server& server, std::vector<std::pair<std::string, const store::KvReader*>> stores);

}  // namespace fleetgate::learning
