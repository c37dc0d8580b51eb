// HTTP route of the curated datasets: GET /v1/learning/datasets[?region=ID] (operator, dpo,
// auditor, admin) lists the datasets stored in each region this node serves that the caller's
// grant covers ({"object":"list","data":[dataset_json.h's objects]}, regions in config order,
// oldest version first); with `region`, that region only: 403 outside the grant, 404 when this
// node does not serve it. Summaries only: no example leaves the region's store.
#pragma once

#include <map>
#include <string>

#include "fleetgate/core/result.h"
#include "fleetgate/http/server.h"
#include "fleetgate/store/kv_store.h"

namespace fleetgate::learning {

// `stores`: the store of each region this node serves, in the order to list them.
// REQUIRES: the stores outlive the server.
Status register_dataset_routes(http::Server& server, std::vector<std::pair<std::string, const store::KvReader*>> stores);

}  // namespace fleetgate::learning
