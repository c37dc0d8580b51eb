// The chat request's filter chain (Envoy's HTTP filter chain is the model): every
// /v1/chat/completions request, plain or streamed, passes the same ordered filters. Each sees the
// request before any provider is asked (and may answer it instead), each attempt's start, every
// answer event in order (a plain answer is one whole event; a stream is its chunks, then one
// closing event), the response's headers, and the end. The router is the chain's terminal step:
// between request and answer it picks the providers the car's region permits.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "fleetgate/assistant/chat.h"
#include "fleetgate/assistant/language.h"
#include "fleetgate/assistant/router.h"
#include "fleetgate/http/message.h"
#include "fleetgate/residency/policy.h"

namespace fleetgate::assistant {

// Token counts of an answer, as its provider reported them (OpenAI usage with the DeepSeek and xAI
// cache and reasoning extras) or estimated.
struct Metered {
  int64_t prompt = 0, completion = 0, cached = 0, reasoning = 0;
};

// What one chat request's filters know and share. Filters before it set the caller and request;
// the answer's facts are set as events pass.
struct ChatExchange {
  const http::Request* http = nullptr;
  std::chrono::steady_clock::time_point started;
  // Who asks (the caller filter): the vehicle and its home region, market and model year.
  std::string vin;
  residency::Car car;
  // What it asks (the caller filter): the parsed request, its language, and the body the
  // providers receive (filters may add to it, e.g. stream_options).
  std::optional<ChatRequest> request;
  Language lang = Language::kEn;
  boost::json::object upstream_body;
  std::string request_id;  // the usage record's id, and the answer's content id
  // The answer: the provider of the current attempt, the model it names, and its tool calls.
  std::string provider;
  std::string model;
  int tool_calls = 0;
  int refused_tool_calls = 0;
  size_t tool_call_bytes = 0;  // of call ids, names and arguments the provider sent this attempt
  Metered metered;             // final once the metering filter's on_end ran (filters after it read it)

  bool identified() const { return request.has_value(); }  // caller and request known
  bool streamed() const { return request && request->stream; }
};

// One answer event: a whole chat.completion (plain requests; its choices hold a "message") or a
// chat.completion.chunk (streams; choices hold a "delta"). `last`: nothing follows (a plain answer,
// or the closing event the chain passes after a stream ended, with no choices of its own).
struct AnswerEvent {
  boost::json::object& object;
  bool whole = false;
  bool last = false;
  bool modified = false;  // a filter changed `object`: it leaves re-serialised

  const char* holder_key() const { return whole ? "message" : "delta"; }
};

// Choices an answer may address: far more than any request asks for (n), and a bound on what a
// hostile index can make a filter keep apart.
inline constexpr size_t kMaxChoices = 128;

// The index of the choice at `position`: its "index" member (streams), else its position.
// nullopt when the index is not an integer below kMaxChoices.
std::optional<size_t> choice_index(const boost::json::object& choice, size_t position);

// Calls fn(index, choice, holder) for each choice of `event` that is an object; `holder` is its
// message or delta, nullptr when it has none that is an object (e.g. a chunk that only finishes).
// REQUIRES: every choice index is valid (the chain checks them before the filters see the event).
void for_each_choice(AnswerEvent& event,
                     const std::function<void(size_t index, boost::json::object& choice, boost::json::object* holder)>& fn);

// Whether `event` still carries something for the car: usage, or a choice with a finish reason or
// a non-empty delta or message.
bool carries_payload(const AnswerEvent& event);

// What the exchange's log lines carry: its HTTP request's tags (empty ones without a request).
// Coroutines put them in a LogScope around each log call.
const LogTags& log_tags(const ChatExchange& x);

// The provider a request's usage and tokens are attributed to: the one that answered, else the
// last one tried, else "none".
std::string_view attributed_provider(const RouteResult& result);

// A filter's answer to a request no provider is asked for, and the outcome it is metered as.
struct EarlyAnswer {
  http::Response response;
  Outcome outcome = Outcome::kRejected;
};

class ChatFilter {
 public:
  virtual ~ChatFilter() = default;
  // Before any provider is asked. An answer answers the request instead; the filters after this
  // one are not run, and end() reaches only those that ran.
  virtual boost::asio::awaitable<std::optional<EarlyAnswer>> on_request(ChatExchange& x) {
    (void)x;
    co_return std::nullopt;
  }
  // A provider's answer starts; an earlier attempt's answer reached nothing of the car.
  virtual void on_attempt(ChatExchange& x) { (void)x; }
  // One answer event, as the filters before this one left it. An error refuses the provider's
  // answer (a plain one becomes 502; a stream fails over while the car has seen nothing).
  virtual boost::asio::awaitable<Status> on_event(ChatExchange& x, AnswerEvent& event) {
    (void)x;
    (void)event;
    co_return Status::ok();
  }
  // The response starts with `headers` (a plain answer, or a stream's first byte).
  virtual void on_headers(ChatExchange& x, http::Fields& headers) {
    (void)x;
    (void)headers;
  }
  // The request is over: `result` is the route's, or for a request a filter answered, that
  // answer's outcome and HTTP status.
  virtual void on_end(ChatExchange& x, const RouteResult& result) {
    (void)x;
    (void)result;
  }
};

// Makes one request's instance of a filter; filters hold per-request state.
using ChatFilterFactory = std::function<std::unique_ptr<ChatFilter>()>;

// One request's filters, in order.
class ChatFilterChain {
 public:
  explicit ChatFilterChain(const std::vector<ChatFilterFactory>& factories);

  boost::asio::awaitable<std::optional<EarlyAnswer>> request(ChatExchange& x);
  void attempt(ChatExchange& x);
  // Checks every choice's index, then runs the filters; the first error stops the event.
  boost::asio::awaitable<Status> event(ChatExchange& x, AnswerEvent& event);
  void headers(ChatExchange& x, http::Fields& headers);
  // Runs on_end of every filter whose on_request ran.
  void end(ChatExchange& x, const RouteResult& result);

 private:
  std::vector<std::unique_ptr<ChatFilter>> filters_;
  size_t reached_ = 0;  // filters whose on_request ran
};

}  // namespace fleetgate::assistant
