// StreamWriter: what a StreamHandler writes a streamed response through. start() commits the status
// line and headers (chunked transfer encoding), which go out with the first chunk; each
// write()/send_event() is one chunk, queued for the connection's writer (chunks queued meanwhile
// leave in one write). cancelled() turns true, and on_cancel callbacks run, when the client goes
// away (or the server force-closes the connection at its shutdown deadline), so an upstream
// request can be abandoned. On a worker, write() blocks while the client is slow; on the
// connection's loop (AsyncStreamHandler) it never blocks and the handler awaits writable().
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fleetgate/core/result.h"
#include "fleetgate/http/message.h"

namespace fleetgate::http {

// Where a StreamWriter's bytes go: a server connection, or a test double in feature tests.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // Commits the status line and headers of a chunked response; a sink may send them with the
  // first chunk.
  virtual Status begin(StatusCode status, const Fields& headers) = 0;
  // Sends one chunk (after the head, if that is still pending); blocks until written.
  virtual Status chunk(std::string_view data) = 0;
  // Completes once chunks may be sent again without piling up (default: at once).
  virtual boost::asio::awaitable<void> room() { co_return; }
};

class StreamWriter {
 public:
  explicit StreamWriter(std::shared_ptr<StreamSink> sink);

  // Starts the streamed response. `headers` may set Content-Type (default text/event-stream) and
  // Cache-Control (default no-cache). failed_precondition if already started or replied;
  // unavailable when the client is gone.
  Status start(StatusCode status = StatusCode::ok, Fields headers = {});
  // Writes `data` as one chunk. failed_precondition before start(); unavailable once cancelled.
  // Empty data is a no-op (an empty chunk would end the stream).
  Status write(std::string_view data);
  // Completes when the sink can take more (the client has read enough), or at once when it can.
  boost::asio::awaitable<void> writable() { return sink_->room(); }
  // Writes one SSE event: "event: NAME\n" when `event` is set, "data: LINE\n" per line of `data`,
  // then a blank line.
  Status send_event(std::string_view data, std::string_view event = {});
  // Writes one SSE comment (": TEXT", then a blank line), which SSE clients skip: a place for
  // figures known only at the stream's end. invalid_argument when `text` holds a line break.
  Status send_comment(std::string_view text);
  // Answers with an ordinary response instead of a stream (e.g. an error found before the first
  // byte). failed_precondition after start() or a previous reply().
  Status reply(Response response);

  bool started() const;
  // The response given to reply(), taken by the server after the handler returns.
  std::optional<Response> take_reply();

  bool cancelled() const;
  // Runs `callback` once on cancellation, at once if already cancelled. It runs on a server thread:
  // keep it short and thread-safe.
  void on_cancel(std::function<void()> callback);
  // Marks the stream cancelled and runs the callbacks (idempotent). The server calls it on client
  // disconnect; a failed write calls it too.
  void cancel();

  // The SSE wire form of one event, as send_event() writes it.
  static std::string format_event(std::string_view data, std::string_view event = {});

 private:
  enum class State { kIdle, kStreaming, kReplied };

  std::shared_ptr<StreamSink> sink_;
  mutable std::mutex mu_;
  State state_ = State::kIdle;
  std::optional<Response> reply_;
  bool cancelled_ = false;
  std::vector<std::function<void()>> callbacks_;
};

}  // namespace fleetgate::http
