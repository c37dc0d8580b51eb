// HTTP routes of transfers. Every route is region-scoped: callers act only on transfers whose
// source region (or, for reads, destination) they may act in.
//   POST /v1/transfers                (operator, admin in the source region) body: parse_request's
//        JSON; 201 {"id","state"}; 403 with the residency reason for a refused class.
//   GET  /v1/transfers[?region=R]     (operator, approver, dpo, auditor, admin) transfers from or to
//        the caller's regions, or to/from R (403 when the caller may not act in R); {"transfers":[..]}
//   GET  /v1/transfers/{id}           (same roles) the transfer's JSON
//   POST /v1/transfers/{id}/approve   (approver, dpo in the source region) the updated transfer
//   POST /v1/transfers/{id}/reject    (approver, dpo in the source region) body {"reason": ".."}
//   POST /v1/transfers/{id}/export    (operator, dpo, admin in the source region) writes the bundle
//        under <source region data dir>/exports/<id>; 200 {"bundle": path, "manifest": {..}}
#pragma once

#include "fleetgate/core/config.h"
#include "fleetgate/core/result.h"
#include "fleetgate/http/server.h"
#include "fleetgate/transfer/transfer_service.h"

namespace fleetgate::transfer {

// Where HTTP-triggered exports of `region` are written: <region data dir>/exports.
std::filesystem::path export_dir(const config::Region& region);

// REQUIRES: `service` and `config` outlive the server. The errors of Server::route.
Status register_transfer_routes(http::Server& server, TransferService& service, const config::Config& config);

}  // namespace fleetgate::transfer
