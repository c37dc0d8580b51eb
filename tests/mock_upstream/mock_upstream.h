// MockUpstream: an OpenAI-compatible chat API on a loopback port, for tests and scripts. Serves
// POST /v1/chat/completions (JSON or SSE stream) and GET /v1/models. Every instance has an
// identity and a location (the region it pretends to process data in) and records every request
// it receives, so tests can assert who was contacted. Behaviour comes from the instance's
// Scenario, overridden per request by an "X-Mock-Scenario: key=value;..." header
// (see parse_scenario). Thread-safe: configure and inspect it from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fleetgate/core/result.h"

namespace fleetgate::mock {

struct MockToolCall {
  std::string id = "call_mock_1";
  std::string name;
  std::string arguments = "{}";  // JSON text; streamed split over several chunks
};

// How a tool call is written: as OpenAI does, in the legacy function_call field, or (hostile)
// with tool_calls an object instead of an array.
enum class ToolShape { kToolCalls, kFunctionCall, kToolCallsObject };

struct Scenario {
  int status = 200;                        // non-2xx answers with an OpenAI-shaped error body
  std::optional<uint32_t> retry_after_s;   // Retry-After header, whatever the status
  uint32_t latency_ms = 0;                 // delay before the response header (slow first byte)
  uint32_t chunk_delay_ms = 0;             // streaming: delay between chunks
  bool reset = false;                      // read the request, then reset the connection unanswered
  std::optional<uint32_t> break_after;     // streaming: drop the connection after N data chunks
  bool no_role_chunk = false;              // streaming: no opening {"role":"assistant"} chunk, so the
                                           // first chunk is the answer's first piece
  bool finish_without_delta = false;       // streaming: the finishing chunk's choice has no "delta"
  std::string content;                     // answer text; empty: "answer from <identity>"
  std::optional<MockToolCall> tool_call;   // answer with this tool call instead of text
  ToolShape tool_shape = ToolShape::kToolCalls;
  std::string call_index;                  // streaming: JSON text of the tool-call "index" (default 0)
  bool endless = false;                    // streaming: after the call's first pieces, 1 KiB argument
                                           // pieces without end (chunk_delay_ms apart) until the client goes
  bool deepseek_extras = false;            // message.reasoning_content, usage.prompt_cache_{hit,miss}_tokens
  bool xai_extras = false;                 // usage.{completion,prompt}_tokens_details.{reasoning,cached}_tokens
};

// Applies "key=value;key;..." on top of `base`. Keys: status=N, retry_after=S, latency_ms=N,
// chunk_delay_ms=N, reset, break_after=N, no_role_chunk, finish_without_delta, content=TEXT,
// tool_call=NAME[:ARGS_JSON]
// (ARGS sent as written, e.g. with duplicate keys), shape=tool_calls|function_call|tool_calls_object,
// call_index=JSON, endless, deepseek, xai, ok (back to status 200 without reset/break).
// Unknown keys, bad numbers or shapes, and call_index that is not JSON are an error.
Result<Scenario> parse_scenario(std::string_view spec, Scenario base = {});

struct RecordedRequest {
  std::string identity;  // the instance that received it
  std::string location;
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lower-case names, e.g. "authorization"
  std::string body;
  uint64_t connection = 0;  // 1-based number of the TCP connection it arrived on
};

struct MockOptions {
  std::string identity = "mock";
  std::string location;                        // e.g. "cn"
  Scenario scenario;                           // default behaviour of every request
  std::vector<std::string> models = {"mock-model"};  // listed by GET /v1/models
  std::string expected_api_key;                // when set, other bearer tokens get 401
  uint16_t port = 0;                           // 0: any free port
  std::string tls_cert = {};                   // PEM chain: serve HTTPS instead of HTTP
  std::string tls_key = {};                    // its PEM private key
};

class MockUpstream {
 public:
  // Listens on 127.0.0.1 and serves on an internal thread until destroyed.
  static Result<std::unique_ptr<MockUpstream>> start(MockOptions options);
  ~MockUpstream();
  MockUpstream(const MockUpstream&) = delete;
  MockUpstream& operator=(const MockUpstream&) = delete;

  uint16_t port() const;
  std::string base_url() const;  // "http://127.0.0.1:PORT", or https:// with TLS
  const std::string& identity() const;
  const std::string& location() const;

  void set_scenario(Scenario s);
  Scenario scenario() const;
  // false: stop listening and drop every open connection (new connects are refused);
  // true: listen again on the same port.
  Status set_accepting(bool accepting);

  std::vector<RecordedRequest> requests() const;
  size_t request_count() const;
  size_t connections_accepted() const;
  // Requests whose client hung up before the response was complete.
  size_t requests_abandoned() const;
  // Waits until `n` requests were recorded / abandoned; false when `limit` passed first.
  bool wait_for_requests(size_t n, std::chrono::milliseconds limit) const;
  bool wait_for_abandoned(size_t n, std::chrono::milliseconds limit) const;
  void clear_records();

  struct Impl;

 private:
  explicit MockUpstream(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace fleetgate::mock
