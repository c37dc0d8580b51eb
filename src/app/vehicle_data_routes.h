// HTTP routes of owner access and third-party sharing (README "Compliance"):
//   POST   /v1/vehicles/{vin}/owner-token  (operator, admin) the owner's token, shown once
//   DELETE /v1/vehicles/{vin}/owner-token  (operator, admin)
//   GET    /v1/vehicles/{vin}/data         (owner, third_party, dpo) vehicle_data.h
//   POST   /v1/vehicles/{vin}/grants       (owner) {"grantee","fields","expires_ms"}: a grant and its token
//   GET    /v1/vehicles/{vin}/grants       (owner)
//   DELETE /v1/vehicles/{vin}/grants/{id}  (owner)
// An owner or third party acts on its own vehicle only, a DPO or operator on vehicles in their
// grant; any other vehicle answers 404 like an unregistered one.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "fleetgate/app/control_plane.h"
#include "fleetgate/core/result.h"
#include "fleetgate/http/server.h"
#include "fleetgate/ledger/usage_log.h"
#include "fleetgate/store/kv_store.h"
#include "fleetgate/telemetry/ingest_service.h"
#include "fleetgate/transfer/transfer_service.h"

namespace fleetgate::app {

// Where a served region keeps what the data route reads.
struct DataHome {
  const ledger::UsageLog* usage = nullptr;
  const store::KvReader* store = nullptr;
};

// REQUIRES: everything passed outlives the server.
Status register_vehicle_data_routes(http::Server& server, ControlPlane& cp, telemetry::IngestService& ingest,
                                    transfer::TransferService& transfers, std::map<std::string, DataHome> homes);

}  // namespace fleetgate::app
