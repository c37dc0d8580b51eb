// Incremental parser for text/event-stream (the WHATWG server-sent events format): feed it the
// response body in pieces of any size and it emits each complete event once its blank line
// arrives. Handles CR, LF and CRLF line ends (also split across pieces), multi-line data
// (joined with '\n'), comments (lines starting with ':'), and the event/id fields. Events
// without data are not emitted, as the format prescribes.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "fleetgate/core/result.h"

namespace fleetgate::assistant {

struct SseEvent {
  std::string event;  // "event:" field, empty when absent
  std::string data;   // "data:" lines joined with '\n'
  std::string id;     // "id:" field, empty when absent
};

class SseParser {
 public:
  // Events (or lines) larger than `max_event_bytes` make feed() fail with kResourceExhausted.
  explicit SseParser(size_t max_event_bytes = 1 << 20) : max_event_bytes_(max_event_bytes) {}

  // Parses `bytes`, calling `on_event` for each completed event. When on_event returns false
  // parsing stops and feed returns OK with stopped() true; later feeds do nothing.
  Status feed(std::string_view bytes, const std::function<bool(const SseEvent&)>& on_event);
  bool stopped() const { return stopped_; }

 private:
  bool take_line(std::string_view line, const std::function<bool(const SseEvent&)>& on_event);

  size_t max_event_bytes_;
  std::string line_;
  bool after_cr_ = false;  // the previous piece ended in CR: a leading LF belongs to it
  bool has_data_ = false;
  bool stopped_ = false;
  SseEvent pending_;
};

}  // namespace fleetgate::assistant
