#include "fleetgate/telemetry/protobuf_log.h"

#include <google/protobuf/stubs/logging.h>
#include <spdlog/spdlog.h>

#include <mutex>

namespace fleetgate::telemetry {
namespace {

void to_spdlog(google::protobuf::LogLevel level, const char* filename, int line, const std::string& message) {
  // Parse complaints (ERROR level in protobuf) come from vehicles' bad frames, which ingest
  // already rejects with a clear error: keep them out of the operator's log unless debugging.
  const spdlog::level::level_enum lvl =
      level >= google::protobuf::LogLevel::LOGLEVEL_FATAL ? spdlog::level::critical : spdlog::level::debug;
  spdlog::log(lvl, "protobuf {}:{}: {}", filename, line, message);
}

}  // namespace

void route_protobuf_logs_to_spdlog() {
  static std::once_flag once;
  std::call_once(once, [] { google::protobuf::SetLogHandler(to_spdlog); });
}

}  // namespace fleetgate::telemetry
