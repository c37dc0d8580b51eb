#include "fleetgate/assistant/upstream_client.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "fleetgate/assistant/upstream_provider.h"
#include "fleetgate/http/blocking.h"
#include "mock_upstream/mock_upstream.h"

namespace fleetgate::assistant {
namespace {

namespace json = boost::json;
using mock::MockUpstream;
using std::chrono::milliseconds;
using http::await_blocking;

// Generous bound for waiting on the mock: only reached when the behaviour under test is broken.
constexpr milliseconds kPatience(10000);

std::unique_ptr<MockUpstream> start_mock(std::string identity, std::string location = "cn") {
  mock::MockOptions o;
  o.identity = std::move(identity);
  o.location = std::move(location);
  auto m = MockUpstream::start(o);
  EXPECT_TRUE(m.is_ok()) << m.status().to_string();
  return std::move(m).value();
}

// The client driven from a test's threads: each thread runs the client's coroutine calls on a
// loop of its own, kept for the helper's life, as each of the gateway's I/O threads does (pooled
// connections outlive a call). The loops close before the client.
class BlockingClient {
 public:
  using SseHandler = std::function<bool(const SseEvent&)>;

  explicit BlockingClient(std::shared_ptr<UpstreamClient> client) : client_(std::move(client)) {}

  ClientReply call(const ClientRequest& request, const CancelToken& cancel) {
    return run(client_->async_call(request, cancel));
  }
  ClientReply call_stream(const ClientRequest& request, const SseHandler& on_event, const CancelToken& cancel) {
    const AsyncSseHandler handler = [&on_event](const SseEvent& ev) -> boost::asio::awaitable<bool> { co_return on_event(ev); };
    return run(client_->async_call_stream(request, handler, cancel));
  }
  boost::asio::awaitable<ClientReply> async_call(const ClientRequest& request, const CancelToken& cancel) {
    return client_->async_call(request, cancel);
  }
  size_t idle_connections() const { return client_->idle_connections(); }
  const std::shared_ptr<UpstreamClient>& shared() const { return client_; }

 private:
  ClientReply run(boost::asio::awaitable<ClientReply> call) {
    boost::asio::io_context& loop = own_loop();
    std::optional<ClientReply> reply;
    std::exception_ptr error;
    boost::asio::co_spawn(loop, std::move(call), [&](std::exception_ptr e, ClientReply r) {
      error = e;
      reply = std::move(r);
    });
    loop.restart();
    while (!reply) loop.run_one();
    loop.poll();  // completions the call left ready (cancelled timers), so none waits for the next call
    if (error) std::rethrow_exception(error);
    return std::move(*reply);
  }

  boost::asio::io_context& own_loop() {
    std::lock_guard lock(mu_);
    auto& loop = loops_[std::this_thread::get_id()];
    if (!loop) loop = std::make_unique<boost::asio::io_context>(1);
    return *loop;
  }

  std::shared_ptr<UpstreamClient> client_;
  std::mutex mu_;
  std::map<std::thread::id, std::unique_ptr<boost::asio::io_context>> loops_;  // declared last: closed first
};

std::unique_ptr<BlockingClient> make_client(ClientOptions o = {}) {
  auto c = UpstreamClient::create(o);
  EXPECT_TRUE(c.is_ok()) << c.status().to_string();
  return std::make_unique<BlockingClient>(std::move(c).value());
}

ClientRequest chat_request(const MockUpstream& m, std::string body, std::string scenario = "") {
  ClientRequest r;
  r.base_url = m.base_url();
  r.path = "/v1/chat/completions";
  r.body = std::move(body);
  r.bearer_token = "sk-test";
  if (!scenario.empty()) r.extra_headers.emplace_back("X-Mock-Scenario", std::move(scenario));
  return r;
}

const char* kChat = R"({"model":"deepseek-chat","messages":[{"role":"user","content":"hi"}]})";
const char* kStreamChat = R"({"model":"deepseek-chat","stream":true,"messages":[{"role":"user","content":"hi"}]})";

json::object parse_object(std::string_view text) {
  json::value v = json::parse(text);
  EXPECT_TRUE(v.is_object()) << text;
  return v.is_object() ? v.get_object() : json::object{};
}

TEST(UpstreamClient, NonStreamingCallPassesUnknownFieldsBothWays) {
  auto m = start_mock("deepseek-mock");
  auto client = make_client();
  CancelToken cancel;
  ClientReply r = client->call(
      chat_request(*m, R"({"model":"deepseek-chat","messages":[],"x_vendor":{"a":[1,2.5,"z"]},"thinking":true})",
                   "deepseek;xai"),
      cancel);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.status, 200);
  json::object body = parse_object(r.body);
  EXPECT_EQ(body["mock_identity"], "deepseek-mock");
  EXPECT_EQ(body["mock_echo"], json::parse(R"({"x_vendor":{"a":[1,2.5,"z"]},"thinking":true})"))
      << "unknown request fields reach the upstream untouched";
  const json::object& usage = body["usage"].as_object();
  EXPECT_TRUE(usage.contains("prompt_cache_hit_tokens"));
  EXPECT_TRUE(usage.contains("prompt_cache_miss_tokens"));
  EXPECT_TRUE(usage.at("completion_tokens_details").as_object().contains("reasoning_tokens"));
  EXPECT_TRUE(usage.at("prompt_tokens_details").as_object().contains("cached_tokens"));
  EXPECT_TRUE(body["choices"].as_array()[0].as_object().at("message").as_object().contains("reasoning_content"));

  auto seen = m->requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].target, "/v1/chat/completions");
  EXPECT_EQ(seen[0].headers["authorization"], "Bearer sk-test");
  EXPECT_EQ(seen[0].headers["content-type"], "application/json");
}

TEST(UpstreamClient, StreamingDeliversEachEventAsItArrives) {
  auto m = start_mock("xai-mock", "us");
  auto client = make_client();
  CancelToken cancel;
  std::vector<std::string> events;
  ClientReply r = client->call_stream(chat_request(*m, kStreamChat, "content=one two three;xai"), [&](const SseEvent& e) {
    events.push_back(e.data);
    return true;
  }, cancel);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_TRUE(r.saw_done);
  // role chunk, three words, final chunk with usage; the keep-alive comment and [DONE] are not events.
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(r.events, 5u);
  std::string text;
  for (const auto& e : events) {
    json::object chunk = parse_object(e);
    EXPECT_EQ(chunk["object"], "chat.completion.chunk");
    const json::array& choices = chunk["choices"].as_array();
    if (const json::value* c = choices[0].as_object().at("delta").as_object().if_contains("content")) {
      text += std::string(c->as_string());
    }
  }
  EXPECT_EQ(text, "one two three ");
  EXPECT_TRUE(parse_object(events.back())["usage"].as_object().contains("completion_tokens_details"));
}

TEST(UpstreamClient, FirstEventArrivesBeforeTheStreamEnds) {
  auto m = start_mock("slow-stream");
  auto client = make_client();
  CancelToken cancel;
  auto req = chat_request(*m, kStreamChat, "content=a b c d;chunk_delay_ms=60000");
  req.timeouts.total_ms = 30000;  // a client that waited for the whole stream would time out instead
  size_t seen = 0;
  ClientReply r = client->call_stream(req, [&](const SseEvent&) {
    ++seen;
    return false;
  }, cancel);
  EXPECT_EQ(r.failure, ClientFailure::kCancelled) << r.error;
  EXPECT_EQ(r.events, 1u);
  EXPECT_TRUE(m->wait_for_abandoned(1, kPatience)) << "stopping the handler closes the upstream connection";
}

TEST(UpstreamClient, StreamedToolCallArrivesSplitAcrossChunks) {
  auto m = start_mock("tool-mock");
  auto client = make_client();
  CancelToken cancel;
  const std::string args = R"({"celsius":21.5,"zone":"driver"})";
  std::vector<json::object> chunks;
  ClientReply r = client->call_stream(chat_request(*m, kStreamChat, "tool_call=set_climate:" + args),
                                      [&](const SseEvent& e) {
                                        chunks.push_back(parse_object(e.data));
                                        return true;
                                      },
                                      cancel);
  ASSERT_TRUE(r.ok()) << r.error;
  std::string name, assembled;
  int argument_pieces = 0;
  for (auto& c : chunks) {
    const json::object& delta = c["choices"].as_array()[0].as_object().at("delta").as_object();
    const json::value* calls = delta.if_contains("tool_calls");
    if (!calls) continue;
    const json::object& fn = calls->as_array()[0].as_object().at("function").as_object();
    if (const json::value* n = fn.if_contains("name")) name = std::string(n->as_string());
    std::string_view piece = fn.at("arguments").as_string();
    if (!piece.empty()) ++argument_pieces;
    assembled += piece;
  }
  EXPECT_EQ(name, "set_climate");
  EXPECT_EQ(assembled, args);
  EXPECT_GT(argument_pieces, 1);
  EXPECT_EQ(chunks.back()["choices"].as_array()[0].as_object().at("finish_reason"), "tool_calls");
}

TEST(UpstreamClient, HttpErrorsComeBackWithStatusBodyAndRetryAfter) {
  auto m = start_mock("busy");
  auto client = make_client();
  CancelToken cancel;
  ClientReply r = client->call(chat_request(*m, kChat, "status=429;retry_after=7"), cancel);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.status, 429);
  ASSERT_TRUE(r.retry_after.has_value());
  EXPECT_EQ(*r.retry_after, milliseconds(7000));
  EXPECT_EQ(parse_object(r.body)["error"].as_object()["type"], "rate_limit_error");

  r = client->call_stream(chat_request(*m, kStreamChat, "status=503"), [](const SseEvent&) { return true; }, cancel);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.events, 0u);
  EXPECT_NE(r.body.find("server_error"), std::string::npos);
}

TEST(UpstreamClient, FirstByteTimeoutAbandonsTheRequest) {
  auto m = start_mock("slow");
  auto client = make_client();
  CancelToken cancel;
  auto req = chat_request(*m, kChat, "latency_ms=60000");
  req.timeouts.first_byte_ms = 50;
  ClientReply r = client->call(req, cancel);
  EXPECT_EQ(r.failure, ClientFailure::kTimeout) << r.error;
  EXPECT_TRUE(m->wait_for_abandoned(1, kPatience));
}

TEST(UpstreamClient, TotalTimeoutEndsASlowStream) {
  auto m = start_mock("slow-stream");
  auto client = make_client();
  CancelToken cancel;
  auto req = chat_request(*m, kStreamChat, "content=a b c;chunk_delay_ms=60000");
  req.timeouts.total_ms = 200;
  ClientReply r = client->call_stream(req, [](const SseEvent&) { return true; }, cancel);
  EXPECT_EQ(r.failure, ClientFailure::kTimeout) << r.error;
  EXPECT_EQ(r.events, 1u);
  EXPECT_TRUE(m->wait_for_abandoned(1, kPatience));
}

TEST(UpstreamClient, CancelAbortsAnInFlightCallAndClosesTheConnection) {
  auto m = start_mock("slow");
  auto client = make_client();
  CancelToken cancel;
  ClientReply r;
  std::thread caller([&] { r = client->call(chat_request(*m, kChat, "latency_ms=60000"), cancel); });
  ASSERT_TRUE(m->wait_for_requests(1, kPatience));
  cancel.cancel();
  caller.join();
  EXPECT_EQ(r.failure, ClientFailure::kCancelled) << r.error;
  EXPECT_TRUE(m->wait_for_abandoned(1, kPatience)) << "the mock saw the connection closed";
  EXPECT_EQ(client->idle_connections(), 0u);
}

TEST(UpstreamClient, AlreadyCancelledTokenNeverConnects) {
  auto m = start_mock("idle");
  auto client = make_client();
  CancelToken cancel;
  cancel.cancel();
  ClientReply r = client->call(chat_request(*m, kChat), cancel);
  EXPECT_EQ(r.failure, ClientFailure::kCancelled);
  EXPECT_EQ(m->request_count(), 0u);
}

TEST(UpstreamClient, KeepAliveConnectionsAreReused) {
  auto m = start_mock("pool");
  auto client = make_client();
  CancelToken cancel;
  for (int i = 0; i < 5; ++i) {
    ClientReply r = i % 2 ? client->call_stream(chat_request(*m, kStreamChat), [](const SseEvent&) { return true; }, cancel)
                          : client->call(chat_request(*m, kChat), cancel);
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.reused_connection, i > 0);
  }
  EXPECT_EQ(m->request_count(), 5u);
  EXPECT_EQ(m->connections_accepted(), 1u);
  EXPECT_EQ(client->idle_connections(), 1u);
}

TEST(UpstreamClient, EachCallingThreadKeepsItsOwnConnectionPerOrigin) {
  auto m = start_mock("pool");
  auto other = start_mock("other");
  auto client = make_client();
  CancelToken cancel;
  // Four threads, three calls each to `m` and one to `other`: a connection per thread and origin.
  std::vector<std::thread> callers;
  for (int i = 0; i < 4; ++i) {
    callers.emplace_back([&] {
      for (int j = 0; j < 3; ++j) {
        ClientReply r = client->call(chat_request(*m, kChat), cancel);
        EXPECT_TRUE(r.ok()) << r.error;
        EXPECT_EQ(r.reused_connection, j > 0);
      }
      EXPECT_TRUE(client->call(chat_request(*other, kChat), cancel).ok());
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(m->request_count(), 12u);
  EXPECT_EQ(m->connections_accepted(), 4u);
  EXPECT_EQ(other->connections_accepted(), 4u);
  EXPECT_EQ(client->idle_connections(), 8u);
}

// Async calls share their loop's pool: concurrent calls open a connection each, later calls reuse
// them, and the pooled connections close with the loop.
TEST(UpstreamClient, AsyncCallsOnOneLoopShareItsPoolWhichClosesWithTheLoop) {
  auto m = start_mock("loop");
  auto client = make_client();
  CancelToken cancel;
  const ClientRequest req = chat_request(*m, kChat);
  {
    boost::asio::io_context loop(1);
    std::vector<ClientReply> replies;
    auto batch = [&](int n) {
      for (int i = 0; i < n; ++i) {
        boost::asio::co_spawn(loop, client->async_call(req, cancel), [&](std::exception_ptr e, ClientReply r) {
          EXPECT_FALSE(e);
          replies.push_back(std::move(r));
        });
      }
      loop.restart();
      loop.run();
    };
    batch(4);
    batch(4);
    ASSERT_EQ(replies.size(), 8u);
    for (size_t i = 0; i < replies.size(); ++i) {
      EXPECT_TRUE(replies[i].ok()) << replies[i].error;
      EXPECT_EQ(replies[i].reused_connection, i >= 4) << i;
    }
    EXPECT_EQ(m->connections_accepted(), 4u);
    EXPECT_EQ(client->idle_connections(), 4u);
  }
  EXPECT_EQ(client->idle_connections(), 0u) << "the loop's pool closed with it";
}

TEST(UpstreamClient, AnEventHandlerThatThrowsStopsTheCallAndTheExceptionReachesTheCaller) {
  auto m = start_mock("throwing");
  auto client = make_client();
  CancelToken cancel;
  int seen = 0;
  auto handler = [&](const SseEvent&) -> bool {
    if (++seen == 2) throw std::runtime_error("consumer failed");
    return true;
  };
  EXPECT_THROW(client->call_stream(chat_request(*m, kStreamChat), handler, cancel), std::runtime_error);
  EXPECT_EQ(seen, 2);
  // The half-read connection is never pooled: the next call works on a fresh one.
  ClientReply r = client->call(chat_request(*m, kChat), cancel);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_FALSE(r.reused_connection);
}

TEST(UpstreamClient, ConnectionsClosedByTheServerAreReplaced) {
  auto m = start_mock("restarting");
  auto client = make_client();
  CancelToken cancel;
  ASSERT_TRUE(client->call(chat_request(*m, kChat), cancel).ok());
  ASSERT_TRUE(m->set_accepting(false).is_ok());  // drops the pooled connection too
  ClientReply refused = client->call(chat_request(*m, kChat), cancel);
  EXPECT_EQ(refused.failure, ClientFailure::kConnect) << refused.error;
  ASSERT_TRUE(m->set_accepting(true).is_ok());
  ClientReply r = client->call(chat_request(*m, kChat), cancel);
  EXPECT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(m->connections_accepted(), 2u);
}

TEST(UpstreamClient, ResetBeforeResponseIsAConnectFailure) {
  auto m = start_mock("reset");
  auto client = make_client();
  CancelToken cancel;
  ClientReply r = client->call(chat_request(*m, kChat, "reset"), cancel);
  EXPECT_EQ(r.failure, ClientFailure::kConnect) << r.error;
}

TEST(UpstreamClient, MidStreamBreakAfterEventsIsStreamBroken) {
  auto m = start_mock("flaky");
  auto client = make_client();
  CancelToken cancel;
  ClientReply r = client->call_stream(chat_request(*m, kStreamChat, "content=a b c d;break_after=2"),
                                      [](const SseEvent&) { return true; }, cancel);
  EXPECT_EQ(r.failure, ClientFailure::kStreamBroken) << r.error;
  EXPECT_EQ(r.events, 2u);
  EXPECT_FALSE(r.saw_done);
}

TEST(UpstreamClient, GetModels) {
  auto m = start_mock("models");
  auto client = make_client();
  CancelToken cancel;
  ClientRequest req = chat_request(*m, "");
  req.method = Method::kGet;
  req.path = "/v1/models";
  ClientReply r = client->call(req, cancel);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(parse_object(r.body)["data"].as_array()[0].as_object()["id"], "mock-model");
}

TEST(UpstreamClient, BadUrlsAndTlsToAPlainServerFailCleanly) {
  auto m = start_mock("plain");
  auto client = make_client();
  CancelToken cancel;
  ClientRequest req = chat_request(*m, kChat);
  req.base_url = "ftp://example.com";
  EXPECT_EQ(client->call(req, cancel).failure, ClientFailure::kProtocol);
  req.base_url = "http://127.0.0.1:99999";
  EXPECT_EQ(client->call(req, cancel).failure, ClientFailure::kProtocol);
  req.base_url = "https://127.0.0.1:" + std::to_string(m->port());
  ClientReply r = client->call(req, cancel);
  EXPECT_EQ(r.failure, ClientFailure::kConnect) << "TLS handshake against a plain HTTP server: " << r.error;
}

TEST(UpstreamClient, UnreadableCaFileIsAnError) {
  ClientOptions o;
  o.extra_ca_file = "/nonexistent/ca.pem";
  EXPECT_FALSE(UpstreamClient::create(o).is_ok());
}

// UpstreamProvider: the Provider over the client.

config::Provider provider_for(const MockUpstream& m, std::string key_env) {
  config::Provider p;
  p.id = m.identity();
  p.base_url = m.base_url();
  p.api_key_env = std::move(key_env);
  p.location = m.location();
  return p;
}

TEST(UpstreamProvider, ReadsItsKeyFromTheEnvironmentAndForwardsTheRequest) {
  auto m = start_mock("deepseek-mock");
  auto client = make_client();
  UpstreamProvider p(provider_for(*m, "FG_TEST_UPSTREAM_KEY"), client->shared());
  ::unsetenv("FG_TEST_UPSTREAM_KEY");
  EXPECT_EQ(p.ready().code(), Code::kFailedPrecondition);
  ::setenv("FG_TEST_UPSTREAM_KEY", "sk-from-env", 1);
  EXPECT_TRUE(p.ready().is_ok());

  CancelToken cancel;
  json::object request = json::parse(R"({"model":"m","stream":true,"messages":[],"vendor_opt":42})").as_object();
  ProviderReply r = await_blocking(p.async_complete(request, cancel));
  ASSERT_EQ(r.outcome, Outcome::kOk) << r.detail;
  json::object body = parse_object(r.body);
  EXPECT_EQ(body["mock_echo"], json::parse(R"({"vendor_opt":42})"));
  json::object sent = parse_object(m->requests().at(0).body);
  EXPECT_EQ(sent["stream"], false) << "complete() asks for a whole response";
  EXPECT_EQ(m->requests().at(0).headers["authorization"], "Bearer sk-from-env");

  std::vector<std::string> events;
  const AsyncEventCallback collect = [&](std::string_view d) -> boost::asio::awaitable<bool> {
    events.emplace_back(d);
    co_return true;
  };
  r = await_blocking(p.async_stream(request, collect, cancel));
  ASSERT_EQ(r.outcome, Outcome::kOk) << r.detail;
  EXPECT_EQ(parse_object(events.at(0))["mock_echo"], json::parse(R"({"vendor_opt":42})"));
  ::unsetenv("FG_TEST_UPSTREAM_KEY");
}

TEST(UpstreamProvider, ClassifiesFailures) {
  auto m = start_mock("classify");
  auto client = make_client();
  UpstreamProvider p(provider_for(*m, ""), client->shared());
  CancelToken cancel;
  json::object request = json::parse(R"({"model":"m","messages":[]})").as_object();
  const std::pair<const char*, Outcome> cases[] = {
      {"status=500", Outcome::kServerError},  {"status=503", Outcome::kServerError},
      {"status=429", Outcome::kRateLimited},  {"status=401", Outcome::kAuthError},
      {"status=400", Outcome::kRejected},     {"reset", Outcome::kConnectError},
  };
  for (const auto& [scenario, expected] : cases) {
    m->set_scenario(*mock::parse_scenario(scenario));
    ProviderReply r = await_blocking(p.async_complete(request, cancel));
    EXPECT_EQ(r.outcome, expected) << scenario << ": " << r.detail;
    EXPECT_FALSE(r.detail.empty());
  }
  EXPECT_EQ(chat_completions_path("https://api.deepseek.com"), "/v1/chat/completions");
  EXPECT_EQ(chat_completions_path("https://api.deepseek.com/v1/"), "/chat/completions");
}

}  // namespace
}  // namespace fleetgate::assistant
