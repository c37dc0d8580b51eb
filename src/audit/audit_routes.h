// HTTP route of the audit chain:
//   GET /v1/audit?from_seq=N&limit=M  (auditor, admin) up to M (default 100, at most 1000)
//       entries from sequence N (default 1), with their hashes:
//       {"entries":[..],"next_seq":N+count,"size":entries in the chain,"head_hash":".."}.
//   GET /v1/audit/verify  (auditor, admin) walks the whole chain (AuditLog::verify):
//       {"object":"audit.verification","intact","entries","head_hash","bad_seq" (null when none),
//        "problem" ("" when intact)}; a damaged chain is a 200 that says so, not an error.
// The chain is one hash-linked sequence over every region, so a page cannot be cut down to one
// region without breaking the links the reader verifies: only callers who may act in every
// region ("*") may read it; everyone else gets 403.
#pragma once

#include "fleetgate/audit/audit_log.h"
#include "fleetgate/core/result.h"
#include "fleetgate/http/server.h"

namespace fleetgate::audit {

// The handler, callable without a server. REQUIRES: the request carries a principal.
http::Response handle_audit_page(const AuditLog& log, const http::Request& request);
http::Response handle_audit_verify(const AuditLog& log, const http::Request& request);

// REQUIRES: `log` outlives the server. The errors of Server::route.
Status register_audit_routes(http::Server& server, const AuditLog& log);

}  // namespace fleetgate::audit
