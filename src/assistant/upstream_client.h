// UpstreamClient: HTTP/1.1 client for OpenAI-compatible APIs. https base URLs use TLS (OpenSSL,
// SNI, peer always verified against the system CA store, plus ClientOptions::extra_ca_file and
// the request's ca_file, and the host name); http base URLs use plain
// TCP (loopback mocks). Keeps one idle keep-alive connection per origin and calling thread.
//
// Threading model: async_call() and async_call_stream() are coroutines that do their socket work on
// the calling coroutine's executor, which must be a single-threaded event loop (an io_context run
// by one thread, e.g. an http::Server I/O thread), so a call costs no thread hand-off. Idle
// keep-alive connections are pooled per loop and client (they close with their loop). A
// streaming call hands each event to the handler once it is parsed and reads no further until
// the handler returned, so a slow consumer never makes the client buffer a stream. Calls may run
// concurrently on any number of loops. Destroying the client requires no call in flight.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "fleetgate/assistant/cancel_token.h"
#include "fleetgate/assistant/sse_parser.h"
#include "fleetgate/core/config.h"
#include "fleetgate/core/result.h"

namespace fleetgate::assistant {

struct ClientOptions {
  size_t max_response_bytes = 8u << 20;   // larger non-streaming (or error) bodies fail as kProtocol
  size_t max_event_bytes = 1u << 20;      // larger single SSE events fail as kProtocol
  std::string extra_ca_file;              // PEM CAs trusted besides the system store (private CAs)
  std::string user_agent = "fleetgate";
};

enum class Method { kGet, kPost };

struct ClientRequest {
  Method method = Method::kPost;
  std::string base_url;      // "http[s]://host[:port][/prefix]", as in config::Provider::base_url
  std::string path;          // appended to the base URL's path, e.g. "/v1/chat/completions"
  std::string body;          // JSON text sent as application/json (POST)
  std::string bearer_token;  // sent as "Authorization: Bearer <token>" when non-empty
  std::vector<std::pair<std::string, std::string>> extra_headers;  // e.g. request ids, test controls
  std::string ca_file = {};  // https: PEM CAs trusted besides the system store (config::Provider::ca_file)
  config::Timeouts timeouts; // connect (incl. DNS and TLS), first byte (request sent -> response
                             // header), total (whole call, including time spent in the handler)
};

// Why a call produced no complete HTTP response.
enum class ClientFailure {
  kNone,
  kConnect,       // resolve/connect/TLS failed, or the connection dropped before the response completed
  kTimeout,       // a deadline of ClientRequest::timeouts passed
  kCancelled,     // the cancel token fired or the event handler returned false
  kProtocol,      // malformed HTTP or SSE, bad URL, or a body/event over the configured limits
  kStreamBroken,  // the connection failed after stream events were delivered
};
std::string_view to_string(ClientFailure f);

struct ClientReply {
  ClientFailure failure = ClientFailure::kNone;
  std::string error;        // reason when failure != kNone
  int status = 0;           // HTTP status once a response header arrived, else 0
  std::string body;         // the raw body; for async_call_stream() only when status is not 2xx
  std::optional<std::chrono::milliseconds> retry_after;  // Retry-After (delay in seconds) header
  size_t events = 0;        // async_call_stream(): events handed to the handler
  bool saw_done = false;    // async_call_stream(): the stream ended with "data: [DONE]"
  bool reused_connection = false;  // served over a pooled keep-alive connection
  bool ok() const { return failure == ClientFailure::kNone; }
};

// Receives each SSE event except the final "[DONE]"; returns false to stop (reply: kCancelled).
using AsyncSseHandler = std::function<boost::asio::awaitable<bool>(const SseEvent&)>;

class UpstreamClient {
 public:
  // Fails when the TLS context cannot be set up (e.g. unreadable extra_ca_file).
  static Result<std::shared_ptr<UpstreamClient>> create(ClientOptions options = {});
  ~UpstreamClient();
  UpstreamClient(const UpstreamClient&) = delete;
  UpstreamClient& operator=(const UpstreamClient&) = delete;

  // Sends `request` and waits for the whole response. A non-2xx status is not a failure: it
  // comes back with its body. A stale pooled connection is retried once on a fresh one.
  boost::asio::awaitable<ClientReply> async_call(const ClientRequest& request, const CancelToken& cancel);
  // Sends `request` and, when the status is 2xx, hands the SSE body event by event to
  // `on_event`; a non-2xx response comes back with its body instead.
  boost::asio::awaitable<ClientReply> async_call_stream(const ClientRequest& request, const AsyncSseHandler& on_event,
                                                        const CancelToken& cancel);

  // Idle keep-alive connections currently pooled, over all origins and loops.
  size_t idle_connections() const;

  struct Impl;

 private:
  explicit UpstreamClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace fleetgate::assistant
