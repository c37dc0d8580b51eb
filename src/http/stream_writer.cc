#include "fleetgate/http/stream_writer.h"

#include <utility>

namespace fleetgate::http {

StreamWriter::StreamWriter(std::shared_ptr<StreamSink> sink) : sink_(std::move(sink)) {}

Status StreamWriter::start(StatusCode status, Fields headers) {
  {
    std::lock_guard lock(mu_);
    if (state_ != State::kIdle) return failed_precondition("stream already started or answered");
    if (cancelled_) return unavailable("client disconnected");
    state_ = State::kStreaming;
  }
  if (headers.find(beast_http::field::content_type) == headers.end()) {
    headers.set(beast_http::field::content_type, "text/event-stream");
  }
  if (headers.find(beast_http::field::cache_control) == headers.end()) {
    headers.set(beast_http::field::cache_control, "no-cache");
  }
  Status s = sink_->begin(status, headers);
  if (!s.is_ok()) cancel();
  return s;
}

Status StreamWriter::write(std::string_view data) {
  {
    std::lock_guard lock(mu_);
    if (state_ != State::kStreaming) return failed_precondition("stream not started");
    if (cancelled_) return unavailable("client disconnected");
  }
  if (data.empty()) return Status::ok();
  Status s = sink_->chunk(data);
  if (!s.is_ok()) cancel();
  return s;
}

Status StreamWriter::send_event(std::string_view data, std::string_view event) {
  return write(format_event(data, event));
}

Status StreamWriter::send_comment(std::string_view text) {
  if (text.find_first_of("\r\n") != std::string_view::npos) return invalid_argument("an SSE comment is one line");
  return write(": " + std::string(text) + "\n\n");
}

Status StreamWriter::reply(Response response) {
  std::lock_guard lock(mu_);
  if (state_ != State::kIdle) return failed_precondition("stream already started or answered");
  state_ = State::kReplied;
  reply_ = std::move(response);
  return Status::ok();
}

bool StreamWriter::started() const {
  std::lock_guard lock(mu_);
  return state_ == State::kStreaming;
}

std::optional<Response> StreamWriter::take_reply() {
  std::lock_guard lock(mu_);
  return std::exchange(reply_, std::nullopt);
}

bool StreamWriter::cancelled() const {
  std::lock_guard lock(mu_);
  return cancelled_;
}

void StreamWriter::on_cancel(std::function<void()> callback) {
  {
    std::lock_guard lock(mu_);
    if (!cancelled_) {
      callbacks_.push_back(std::move(callback));
      return;
    }
  }
  callback();
}

void StreamWriter::cancel() {
  std::vector<std::function<void()>> callbacks;
  {
    std::lock_guard lock(mu_);
    if (cancelled_) return;
    cancelled_ = true;
    callbacks.swap(callbacks_);
  }
  for (auto& cb : callbacks) cb();
}

std::string StreamWriter::format_event(std::string_view data, std::string_view event) {
  std::string out;
  if (!event.empty()) out += "event: " + std::string(event) + "\n";
  // CR, LF and CRLF all end a line in SSE; each line becomes its own data field.
  for (;;) {
    const size_t eol = data.find_first_of("\r\n");
    out += "data: ";
    out += data.substr(0, eol);
    out += '\n';
    if (eol == std::string_view::npos) break;
    const bool crlf = data[eol] == '\r' && eol + 1 < data.size() && data[eol + 1] == '\n';
    data.remove_prefix(eol + (crlf ? 2 : 1));
  }
  return out + "\n";
}

}  // namespace fleetgate::http
