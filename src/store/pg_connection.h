// Opening connections to a PostgreSQL database with bounds, so that a database that is down or
// silent fails a call instead of hanging it, from a connection string kept in the environment.
// Shared by the control-plane store (pg_store.h), its readiness probe (pg_probe.h), the VIN
// directory and the region's query store.
#pragma once

#include <libpq-fe.h>

#include <optional>
#include <string>

#include "fleetgate/core/result.h"

namespace fleetgate::store {

// Connects to `dsn` (a libpq connection string). fleetgate's defaults come first and the DSN may
// override each: connect_timeout 5 s; TCP keepalives after 10 s idle, every 5 s, 3 unanswered
// ending the connection; tcp_user_timeout 15 s for unacknowledged writes. So a server or network
// that vanishes fails the connection within about 25 s instead of never. `connect_timeout_s`,
// when given, replaces the DSN's own (the readiness probe's tighter bound). kUnavailable with
// libpq's reason when it fails; the caller owns (PQfinish) the connection otherwise.
Result<PGconn*> pg_connect(const std::string& dsn, std::optional<int> connect_timeout_s = std::nullopt);

// The connection string in the environment variable `variable` (secrets never sit in the TOML);
// kFailedPrecondition naming `setting` (the config that asks for it) and the variable when unset.
Result<std::string> dsn_from_env(const std::string& variable, const std::string& setting);

// libpq's last error on `c`, without its trailing newline.
std::string pg_error(const PGconn* c);

// True when an idle connection is no longer usable. An idle connection has nothing to read, so a
// readable socket means the server ended the session (a restart, pg_terminate_backend, an idle
// timeout: it sends an error, then closes). Rarely it was a harmless message instead, and a good
// connection is replaced. Never waits.
bool pg_session_ended(PGconn* c);

}  // namespace fleetgate::store
