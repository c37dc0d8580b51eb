#include "mock_upstream/mock_upstream.h"

#include <sys/socket.h>

#include <atomic>
#include <cctype>
#include <charconv>
#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "fleetgate/http/transport_stream.h"

namespace fleetgate::mock {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using asio::awaitable;
using asio::redirect_error;
using asio::use_awaitable;
using tcp = asio::ip::tcp;
using Stream = ::fleetgate::http::TransportStream;  // plain, or TLS with MockOptions::tls_cert

namespace {

Result<uint32_t> parse_number(std::string_view key, std::string_view v) {
  uint32_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size()) {
    return invalid_argument("scenario key '" + std::string(key) + "' needs a number, got '" + std::string(v) + "'");
  }
  return n;
}

}  // namespace

Result<Scenario> parse_scenario(std::string_view spec, Scenario s) {
  while (!spec.empty()) {
    size_t semi = spec.find(';');
    std::string_view item = spec.substr(0, semi);
    spec = semi == std::string_view::npos ? std::string_view() : spec.substr(semi + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty()) continue;
    size_t eq = item.find('=');
    std::string_view key = item.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1);
    auto number = [&](auto& field) -> Status {
      auto n = parse_number(key, value);
      if (!n) return n.status();
      field = *n;
      return Status::ok();
    };
    Status st;
    if (key == "status") {
      uint32_t code = 0;
      st = number(code);
      if (st.is_ok() && (code < 100 || code > 599)) st = invalid_argument("scenario status must be 100..599");
      s.status = static_cast<int>(code);
    } else if (key == "retry_after") {
      uint32_t v = 0;
      st = number(v);
      s.retry_after_s = v;
    } else if (key == "latency_ms") {
      st = number(s.latency_ms);
    } else if (key == "chunk_delay_ms") {
      st = number(s.chunk_delay_ms);
    } else if (key == "break_after") {
      uint32_t v = 0;
      st = number(v);
      s.break_after = v;
    } else if (key == "reset") {
      s.reset = true;
    } else if (key == "no_role_chunk") {
      s.no_role_chunk = true;
    } else if (key == "finish_without_delta") {
      s.finish_without_delta = true;
    } else if (key == "ok") {
      s.status = 200;
      s.reset = false;
      s.break_after.reset();
    } else if (key == "content") {
      s.content = std::string(value);
    } else if (key == "tool_call") {
      size_t colon = value.find(':');
      MockToolCall call;
      call.name = std::string(value.substr(0, colon));
      if (colon != std::string_view::npos) call.arguments = std::string(value.substr(colon + 1));
      if (call.name.empty()) st = invalid_argument("scenario tool_call needs a function name");
      s.tool_call = call;
    } else if (key == "shape") {
      if (value == "tool_calls") {
        s.tool_shape = ToolShape::kToolCalls;
      } else if (value == "function_call") {
        s.tool_shape = ToolShape::kFunctionCall;
      } else if (value == "tool_calls_object") {
        s.tool_shape = ToolShape::kToolCallsObject;
      } else {
        st = invalid_argument("scenario shape must be tool_calls, function_call or tool_calls_object");
      }
    } else if (key == "call_index") {
      boost::system::error_code ec;
      boost::json::parse(value, ec);
      if (ec) st = invalid_argument("scenario call_index must be JSON, got '" + std::string(value) + "'");
      s.call_index = std::string(value);
    } else if (key == "endless") {
      s.endless = true;
    } else if (key == "deepseek") {
      s.deepseek_extras = true;
    } else if (key == "xai") {
      s.xai_extras = true;
    } else {
      st = invalid_argument("unknown scenario key '" + std::string(key) + "'");
    }
    if (!st.is_ok()) return st;
  }
  return s;
}

namespace {

const std::set<std::string, std::less<>> kKnownRequestFields = {
    "model", "messages", "stream", "stream_options", "temperature", "top_p", "max_tokens",
    "max_completion_tokens", "tools", "tool_choice", "parallel_tool_calls", "n", "stop", "user", "seed",
    "presence_penalty", "frequency_penalty", "response_format", "logprobs", "top_logprobs"};

// What one chat request asked for, and what the mock answers.
struct Answer {
  std::string id;
  std::string model;
  json::object echo;  // request fields the mock does not know, returned under "mock_echo"
  std::vector<std::string> words;
  std::optional<MockToolCall> tool_call;
  ToolShape tool_shape = ToolShape::kToolCalls;
  std::string call_index;
  bool endless = false;
  bool no_role_chunk = false;
  bool finish_without_delta = false;
  bool deepseek = false;
  bool xai = false;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
};

Answer make_answer(const json::object& request, const Scenario& sc, const std::string& identity, uint64_t n) {
  Answer a;
  a.id = "chatcmpl-mock-" + std::to_string(n);
  if (const json::value* m = request.if_contains("model"); m && m->is_string()) a.model = std::string(m->get_string());
  for (const auto& [key, value] : request) {
    if (!kKnownRequestFields.contains(key)) a.echo[key] = value;
  }
  std::istringstream text(sc.content.empty() ? "answer from " + identity : sc.content);
  for (std::string w; text >> w;) a.words.push_back(w + " ");
  a.tool_call = sc.tool_call;
  a.tool_shape = sc.tool_shape;
  a.call_index = sc.call_index;
  a.endless = sc.endless && sc.tool_call;
  a.no_role_chunk = sc.no_role_chunk;
  a.finish_without_delta = sc.finish_without_delta;
  a.deepseek = sc.deepseek_extras;
  a.xai = sc.xai_extras;
  if (const json::value* msgs = request.if_contains("messages"); msgs && msgs->is_array()) {
    a.prompt_tokens = 1 + static_cast<int64_t>(json::serialize(*msgs).size() / 4);
  }
  a.completion_tokens = a.tool_call ? 8 : static_cast<int64_t>(a.words.size());
  return a;
}

json::object usage(const Answer& a) {
  json::object u{{"prompt_tokens", a.prompt_tokens},
                 {"completion_tokens", a.completion_tokens},
                 {"total_tokens", a.prompt_tokens + a.completion_tokens}};
  if (a.deepseek) {
    u["prompt_cache_hit_tokens"] = a.prompt_tokens / 2;
    u["prompt_cache_miss_tokens"] = a.prompt_tokens - a.prompt_tokens / 2;
  }
  if (a.xai) {
    u["completion_tokens_details"] = {{"reasoning_tokens", 3}};
    u["prompt_tokens_details"] = {{"cached_tokens", a.prompt_tokens / 2}};
  }
  return u;
}

// The members a message (or a streamed delta) carries for (a piece of) the answer's tool call.
json::object tool_call_members(const Answer& a, std::string_view arguments, bool with_header, bool streamed) {
  const MockToolCall& t = *a.tool_call;
  json::object fn{{"arguments", arguments}};
  if (with_header) fn["name"] = t.name;
  if (a.tool_shape == ToolShape::kFunctionCall) return {{"function_call", std::move(fn)}};
  json::object call{{"function", std::move(fn)}};
  if (streamed) call["index"] = a.call_index.empty() ? json::value(0) : json::parse(a.call_index);
  if (with_header) {
    call["id"] = t.id;
    call["type"] = "function";
  }
  if (a.tool_shape == ToolShape::kToolCallsObject) return {{"tool_calls", std::move(call)}};
  return {{"tool_calls", json::array{std::move(call)}}};
}

std::string_view tool_finish(const Answer& a) {
  return a.tool_shape == ToolShape::kFunctionCall ? "function_call" : "tool_calls";
}

constexpr const char* kReasoning = "The user asked something; answer briefly.";

std::string completion_body(const Answer& a, const std::string& identity, const std::string& location) {
  json::object message{{"role", "assistant"}};
  if (a.tool_call) {
    message["content"] = nullptr;
    for (auto& [key, value] : tool_call_members(a, a.tool_call->arguments, true, false)) message[key] = value;
  } else {
    std::string text;
    for (const auto& w : a.words) text += w;
    message["content"] = text;
  }
  if (a.deepseek) message["reasoning_content"] = kReasoning;
  json::object body{{"id", a.id},
                    {"object", "chat.completion"},
                    {"created", 1700000000},
                    {"model", a.model},
                    {"choices", json::array{json::object{{"index", 0},
                                                         {"message", std::move(message)},
                                                         {"finish_reason", a.tool_call ? tool_finish(a) : "stop"}}}},
                    {"usage", usage(a)},
                    {"mock_identity", identity},
                    {"mock_location", location}};
  if (!a.echo.empty()) body["mock_echo"] = a.echo;
  return json::serialize(body);
}

// The data payloads of a streamed answer, in order (without the final [DONE]).
std::vector<std::string> stream_chunks(const Answer& a, const std::string& identity, const std::string& location) {
  auto chunk = [&](json::object delta, json::value finish) {
    return json::object{{"id", a.id},
                        {"object", "chat.completion.chunk"},
                        {"created", 1700000000},
                        {"model", a.model},
                        {"choices", json::array{json::object{
                                        {"index", 0}, {"delta", std::move(delta)}, {"finish_reason", finish}}}}};
  };
  std::vector<json::object> chunks;
  if (!a.no_role_chunk) chunks.push_back(chunk({{"role", "assistant"}, {"content", ""}}, nullptr));
  if (a.deepseek) chunks.push_back(chunk({{"reasoning_content", kReasoning}}, nullptr));
  if (a.tool_call) {
    const std::string& args = a.tool_call->arguments;
    chunks.push_back(chunk(tool_call_members(a, "", true, true), nullptr));
    const size_t piece = std::max<size_t>(1, (args.size() + 2) / 3);
    for (size_t at = 0; at < args.size(); at += piece) {
      chunks.push_back(chunk(tool_call_members(a, args.substr(at, piece), false, true), nullptr));
    }
  } else {
    for (const auto& w : a.words) chunks.push_back(chunk({{"content", w}}, nullptr));
  }
  if (a.endless) {
    // The piece repeated without end (see reply_stream) stands in for the finish chunk.
    chunks.push_back(chunk(tool_call_members(a, std::string(1024, ' '), false, true), nullptr));
  } else {
    json::object last = chunk({}, a.tool_call ? json::value(tool_finish(a)) : json::value("stop"));
    if (a.finish_without_delta) last["choices"].as_array()[0].as_object().erase("delta");
    last["usage"] = usage(a);
    chunks.push_back(std::move(last));
  }
  // The first chunk, whichever it is, tells who answered.
  json::object& first = chunks.front();
  first["mock_identity"] = identity;
  first["mock_location"] = location;
  if (!a.echo.empty()) first["mock_echo"] = a.echo;
  std::vector<std::string> out;
  for (const json::object& c : chunks) out.push_back(json::serialize(c));
  return out;
}

std::string error_json(int status, std::string_view message) {
  std::string_view type = status == 429 ? "rate_limit_error" : status >= 500 ? "server_error" : "invalid_request_error";
  return json::serialize(json::object{
      {"error", {{"message", message}, {"type", type}, {"code", status}, {"param", nullptr}}}});
}

}  // namespace

struct MockUpstream::Impl {
  explicit Impl(MockOptions o) : options(std::move(o)), scenario(options.scenario) {}
  ~Impl() {
    work.reset();
    io.stop();
    if (thread.joinable()) thread.join();
  }

  // Runs `fn` on the I/O thread and waits for it.
  template <class Fn>
  auto on_io(Fn fn) {
    std::packaged_task<decltype(fn())()> task(std::move(fn));
    auto result = task.get_future();
    asio::post(io, [&task] { task(); });
    return result.get();
  }

  Status listen() {
    beast::error_code ec;
    tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
    acceptor.open(ep.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(ep, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      beast::error_code ignored;
      acceptor.close(ignored);
      return unavailable("mock '" + options.identity + "' cannot listen on 127.0.0.1:" + std::to_string(port) + ": " +
                         ec.message());
    }
    if (port == 0) port = acceptor.local_endpoint().port();
    asio::co_spawn(io, accept_loop(), asio::detached);
    return Status::ok();
  }

  void stop_listening() {
    beast::error_code ec;
    acceptor.close(ec);
    for (Stream* s : live) s->socket().close(ec);
  }

  awaitable<void> accept_loop() {
    for (;;) {
      beast::error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(redirect_error(use_awaitable, ec));
      if (ec) co_return;  // acceptor closed
      socket.set_option(tcp::no_delay(true), ec);  // stream chunks leave as they are written
      uint64_t number;
      {
        std::lock_guard lock(mu);
        number = ++accepted;
      }
      asio::co_spawn(io, serve(std::move(socket), number), asio::detached);
    }
  }

  // Sleeps `ms` unless the client hangs up first; returns false when it did.
  awaitable<bool> sleep_watching(Stream& socket, uint32_t ms) {
    if (ms == 0) co_return true;
    asio::steady_timer timer(io, std::chrono::milliseconds(ms));
    auto hung_up = std::make_shared<bool>(false);
    socket.socket().async_wait(tcp::socket::wait_read, [&socket, &timer, hung_up](const beast::error_code& ec) {
      if (ec) return;
      char byte;
      if (::recv(socket.socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT) <= 0) {
        *hung_up = true;
        timer.cancel();
      }
    });
    beast::error_code ec;
    co_await timer.async_wait(redirect_error(use_awaitable, ec));
    if (!*hung_up) socket.socket().cancel(ec);
    co_return !*hung_up;
  }

  void abandoned() {
    std::lock_guard lock(mu);
    ++abandoned_count;
    cv.notify_all();
  }

  template <class Response>
  awaitable<bool> send(Stream& socket, Response& res) {
    beast::error_code ec;
    res.prepare_payload();
    co_await http::async_write(socket, res, redirect_error(use_awaitable, ec));
    if (ec) abandoned();
    co_return !ec && res.keep_alive();
  }

  awaitable<bool> reply_json(Stream& socket, const http::request<http::string_body>& req, int status,
                             std::string body, const Scenario& sc) {
    http::response<http::string_body> res{static_cast<http::status>(status), 11};
    res.set(http::field::content_type, "application/json");
    if (sc.retry_after_s) res.set(http::field::retry_after, std::to_string(*sc.retry_after_s));
    res.keep_alive(req.keep_alive());
    res.body() = std::move(body);
    co_return co_await send(socket, res);
  }

  awaitable<bool> reply_stream(Stream& socket, const http::request<http::string_body>& req,
                               const std::vector<std::string>& chunks, bool endless, const Scenario& sc) {
    http::response<http::empty_body> res{http::status::ok, 11};
    res.set(http::field::content_type, "text/event-stream");
    res.set(http::field::cache_control, "no-cache");
    res.keep_alive(req.keep_alive());
    res.chunked(true);
    http::response_serializer<http::empty_body> sr{res};
    beast::error_code ec;
    co_await http::async_write_header(socket, sr, redirect_error(use_awaitable, ec));
    auto write = [&](std::string text) -> awaitable<bool> {
      co_await asio::async_write(socket, http::make_chunk(asio::buffer(text)), redirect_error(use_awaitable, ec));
      co_return !ec;
    };
    bool alive = !ec;
    if (alive) alive = co_await write(": keep-alive\n\n");
    uint32_t sent = 0;
    for (size_t i = 0; alive && (i < chunks.size() || endless); ++i) {
      const std::string& data = chunks[std::min(i, chunks.size() - 1)];  // endless: the last, again and again
      if (sc.break_after && sent == *sc.break_after) {
        socket.socket().close(ec);
        co_return false;
      }
      if (sent > 0) alive = co_await sleep_watching(socket, sc.chunk_delay_ms);
      if (alive) alive = co_await write("data: " + data + "\n\n");
      ++sent;
    }
    if (alive) alive = co_await write("data: [DONE]\n\n");
    if (alive) {
      co_await asio::async_write(socket, http::make_chunk_last(), redirect_error(use_awaitable, ec));
      alive = !ec;
    }
    if (!alive) abandoned();
    co_return alive && req.keep_alive();
  }

  // What a chat or models request gets once the scenario allows an answer: (status, JSON body),
  // or the data chunks of a stream (status 200).
  struct Reply {
    int status = 200;
    std::string body;
    std::vector<std::string> chunks;
    bool stream = false;
    bool endless = false;  // repeat the last chunk until the client goes
  };

  Reply answer_for(const http::request<http::string_body>& req, const Scenario& sc, uint64_t number) const {
    const bool models = req.method() == http::verb::get && req.target() == "/v1/models";
    const bool chat = req.method() == http::verb::post &&
                      (req.target() == "/v1/chat/completions" || req.target() == "/chat/completions");
    if (!models && !chat) return {404, error_json(404, "no route " + std::string(req.target())), {}, false};
    if (!options.expected_api_key.empty() && req[http::field::authorization] != "Bearer " + options.expected_api_key) {
      return {401, error_json(401, "invalid API key"), {}, false};
    }
    if (sc.status < 200 || sc.status >= 300) {
      return {sc.status, error_json(sc.status, options.identity + " fails on purpose"), {}, false};
    }
    if (models) {
      json::array list;
      for (const auto& m : options.models) list.push_back({{"id", m}, {"object", "model"}, {"owned_by", options.identity}});
      return {200, json::serialize(json::object{{"object", "list"}, {"data", list}}), {}, false};
    }
    beast::error_code ec;
    json::value parsed = json::parse(req.body(), ec);
    if (ec || !parsed.is_object()) return {400, error_json(400, "request body is not a JSON object"), {}, false};
    const json::object& request = parsed.get_object();
    Answer answer = make_answer(request, sc, options.identity, number);
    const json::value* stream = request.if_contains("stream");
    if (stream && stream->is_bool() && stream->get_bool()) {
      return {200, {}, stream_chunks(answer, options.identity, options.location), true, answer.endless};
    }
    return {200, completion_body(answer, options.identity, options.location), {}, false};
  }

  // Answers one request; returns whether the connection stays open for the next.
  awaitable<bool> respond(Stream& socket, const http::request<http::string_body>& req, uint64_t number) {
    Scenario sc = current_scenario();
    Reply reply;
    if (auto it = req.find("X-Mock-Scenario"); it != req.end()) {
      auto parsed = parse_scenario(it->value(), sc);
      if (parsed) {
        sc = std::move(parsed).value();
      } else {
        reply = {400, error_json(400, parsed.status().message()), {}, false};
        sc = Scenario{};
      }
    }
    if (sc.reset) {
      beast::error_code ec;
      socket.socket().set_option(asio::socket_base::linger(true, 0), ec);
      socket.socket().close(ec);
      co_return false;
    }
    if (!co_await sleep_watching(socket, sc.latency_ms)) {
      abandoned();
      co_return false;
    }
    if (reply.status == 200) reply = answer_for(req, sc, number);
    if (reply.stream) co_return co_await reply_stream(socket, req, reply.chunks, reply.endless, sc);
    co_return co_await reply_json(socket, req, reply.status, std::move(reply.body), sc);
  }

  awaitable<void> serve(tcp::socket accepted_socket, uint64_t connection) {
    beast::tcp_stream plain(std::move(accepted_socket));
    Stream socket = tls ? Stream(std::move(plain), *tls) : Stream(std::move(plain));
    live.insert(&socket);
    beast::flat_buffer buffer;
    bool secured = true;
    if (Stream::TlsStream* t = socket.tls()) {
      beast::error_code ec;
      co_await t->async_handshake(asio::ssl::stream_base::server, redirect_error(use_awaitable, ec));
      secured = !ec;
    }
    while (secured) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(8u << 20);
      beast::error_code ec;
      co_await http::async_read(socket, buffer, parser, redirect_error(use_awaitable, ec));
      if (ec) break;
      const auto& req = parser.get();
      uint64_t number = record(req, connection);
      if (!co_await respond(socket, req, number)) break;
    }
    socket.close();
    live.erase(&socket);
  }

  uint64_t record(const http::request<http::string_body>& req, uint64_t connection) {
    RecordedRequest r{options.identity, options.location, std::string(req.method_string()), std::string(req.target()),
                      {}, req.body(), connection};
    for (const auto& field : req) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      r.headers[name] = std::string(field.value());
    }
    std::lock_guard lock(mu);
    recorded.push_back(std::move(r));
    cv.notify_all();
    return recorded.size();
  }

  Scenario current_scenario() {
    std::lock_guard lock(mu);
    return scenario;
  }

  bool wait_for(std::chrono::milliseconds limit, const std::function<bool()>& done) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, limit, done);
  }

  const MockOptions options;
  uint16_t port = options.port;
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  tcp::acceptor acceptor{io};
  std::shared_ptr<asio::ssl::context> tls;  // set when options.tls_cert is
  std::set<Stream*> live;  // I/O thread only
  std::thread thread;

  mutable std::mutex mu;
  std::condition_variable cv;
  Scenario scenario;
  std::vector<RecordedRequest> recorded;
  size_t accepted = 0;
  size_t abandoned_count = 0;
};

Result<std::unique_ptr<MockUpstream>> MockUpstream::start(MockOptions options) {
  auto impl = std::make_unique<Impl>(std::move(options));
  if (!impl->options.tls_cert.empty()) {
    auto ctx = ::fleetgate::http::make_server_tls_context({impl->options.tls_cert, impl->options.tls_key, {}, {}});
    if (!ctx.is_ok()) return ctx.status();
    impl->tls = std::move(ctx).value();
  }
  if (Status st = impl->listen(); !st.is_ok()) return st;
  Impl* raw = impl.get();
  raw->thread = std::thread([raw] { raw->io.run(); });
  return std::unique_ptr<MockUpstream>(new MockUpstream(std::move(impl)));
}

MockUpstream::MockUpstream(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MockUpstream::~MockUpstream() = default;

uint16_t MockUpstream::port() const { return impl_->port; }
std::string MockUpstream::base_url() const {
  return (impl_->tls ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(impl_->port);
}
const std::string& MockUpstream::identity() const { return impl_->options.identity; }
const std::string& MockUpstream::location() const { return impl_->options.location; }

void MockUpstream::set_scenario(Scenario s) {
  std::lock_guard lock(impl_->mu);
  impl_->scenario = std::move(s);
}

Scenario MockUpstream::scenario() const { return impl_->current_scenario(); }

Status MockUpstream::set_accepting(bool accepting) {
  return impl_->on_io([this, accepting] {
    if (accepting == impl_->acceptor.is_open()) return Status::ok();
    if (accepting) return impl_->listen();
    impl_->stop_listening();
    return Status::ok();
  });
}

std::vector<RecordedRequest> MockUpstream::requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->recorded;
}

size_t MockUpstream::request_count() const {
  std::lock_guard lock(impl_->mu);
  return impl_->recorded.size();
}

size_t MockUpstream::connections_accepted() const {
  std::lock_guard lock(impl_->mu);
  return impl_->accepted;
}

size_t MockUpstream::requests_abandoned() const {
  std::lock_guard lock(impl_->mu);
  return impl_->abandoned_count;
}

bool MockUpstream::wait_for_requests(size_t n, std::chrono::milliseconds limit) const {
  return impl_->wait_for(limit, [&] { return impl_->recorded.size() >= n; });
}

bool MockUpstream::wait_for_abandoned(size_t n, std::chrono::milliseconds limit) const {
  return impl_->wait_for(limit, [&] { return impl_->abandoned_count >= n; });
}

void MockUpstream::clear_records() {
  std::lock_guard lock(impl_->mu);
  impl_->recorded.clear();
  impl_->accepted = 0;
  impl_->abandoned_count = 0;
}

}  // namespace fleetgate::mock
