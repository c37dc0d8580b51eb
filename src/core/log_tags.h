// What a log line is about: the region, route and request id of the request whose work wrote it.
// A LogScope names that request for the lines its thread writes meanwhile; the line formatter
// (log_line.h) reads it as it writes each line.
#pragma once

#include <string>

namespace fleetgate {

// The region is empty until a handler learns it (the vehicle's home region, the region an
// operator asked about).
struct LogTags {
  std::string request_id;
  std::string route;
  std::string region;
};

// For its lifetime, lines logged on this thread carry `tags` (which must outlive the scope);
// scopes nest, the innermost wins. Coroutines set one around each log call, never across a
// co_await: other requests' lines run on the thread meanwhile.
class LogScope {
 public:
  explicit LogScope(const LogTags& tags);
  ~LogScope();
  LogScope(const LogScope&) = delete;
  LogScope& operator=(const LogScope&) = delete;

 private:
  const LogTags* previous_;
};

// The tags of the innermost LogScope of this thread, nullptr outside any.
const LogTags* current_log_tags();

// A request id unique in the process and across processes without a CSPRNG call per request
// (RAND_bytes cost ~3% of the gateway's CPU): "req_", 96 random bits per thread, "_", that
// thread's count.
std::string next_request_id();

}  // namespace fleetgate
