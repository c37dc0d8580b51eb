#include "fleetgate/assistant/sse_parser.h"

namespace fleetgate::assistant {

Status SseParser::feed(std::string_view bytes, const std::function<bool(const SseEvent&)>& on_event) {
  for (size_t i = 0; i < bytes.size() && !stopped_; ++i) {
    char c = bytes[i];
    if (after_cr_) {
      after_cr_ = false;
      if (c == '\n') continue;
    }
    if (c == '\r' || c == '\n') {
      after_cr_ = c == '\r';
      if (!take_line(line_, on_event)) stopped_ = true;
      line_.clear();
      continue;
    }
    line_.push_back(c);
    if (line_.size() + pending_.data.size() > max_event_bytes_) {
      return {Code::kResourceExhausted,
              "server-sent event larger than " + std::to_string(max_event_bytes_) + " bytes"};
    }
  }
  return Status::ok();
}

bool SseParser::take_line(std::string_view line, const std::function<bool(const SseEvent&)>& on_event) {
  if (line.empty()) {
    bool keep_going = true;
    if (has_data_) keep_going = on_event(pending_);
    pending_ = SseEvent{};
    has_data_ = false;
    return keep_going;
  }
  if (line.front() == ':') return true;  // comment, e.g. ": keep-alive"
  size_t colon = line.find(':');
  std::string_view field = line.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (field == "data") {
    if (has_data_) pending_.data.push_back('\n');
    pending_.data.append(value);
    has_data_ = true;
  } else if (field == "event") {
    pending_.event.assign(value);
  } else if (field == "id") {
    pending_.id.assign(value);
  }
  // "retry" and unknown fields are ignored, as the format prescribes.
  return true;
}

}  // namespace fleetgate::assistant
