// HTTP routes of the ledger:
//   POST /v1/ledger/revenue  (admin)  body {"events":[...]} or, with Content-Type text/csv, a
//        revenue CSV file; 200 {"added","unchanged","adjustments"}; 400 listing every bad row.
//   POST /v1/ledger/settle   (auditor, admin) body {"period":"2026-11","close":false};
//        close (admin only) makes the period immutable; 200 {"period","status","statements":{partner: statement}}.
//   GET  /v1/ledger/statements/{period}/{partner}  (auditor, admin) the statement JSON, or CSV
//        with ?format=csv.
#pragma once

#include "fleetgate/core/result.h"
#include "fleetgate/http/server.h"
#include "fleetgate/ledger/ledger.h"

namespace fleetgate::ledger {

// The handlers, callable without a server. REQUIRES: the request carries a principal.
http::Response handle_revenue(Ledger& ledger, const http::Request& request);
http::Response handle_settle(Ledger& ledger, const http::Request& request);
http::Response handle_statement(const Ledger& ledger, const http::Request& request);

// REQUIRES: `ledger` outlives the server. The errors of Server::route.
Status register_ledger_routes(http::Server& server, Ledger& ledger);

}  // namespace fleetgate::ledger
