// Sends protobuf's own log messages (e.g. "String field contains invalid UTF-8" while parsing a
// hostile frame) to spdlog instead of stderr. Idempotent and thread-safe.
#pragma once

namespace fleetgate::telemetry {

void route_protobuf_logs_to_spdlog();

}  // namespace fleetgate::telemetry
