#include "fleetgate/http/server.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/json/parse.hpp>
#include <cctype>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "fleetgate/core/log_line.h"
#include "fleetgate/http/error.h"
#include "fleetgate/http/stream_writer.h"
#include "fleetgate/http/test_client.h"
#include "fleetgate/http/websocket.h"

namespace fleetgate::http {
namespace {

using namespace std::chrono_literals;
using testing::ClientResponse;
using testing::TestClient;
namespace net = boost::asio;

// Bound on every wait for another thread: reaching it means the behaviour under test is broken.
constexpr auto kGuard = 10s;

template <typename Future>
bool ready(Future& f) {
  return f.wait_for(kGuard) == std::future_status::ready;
}

std::string error_code_of(const ClientResponse& r) {
  return std::string(boost::json::parse(r.body).at("error").at("code").as_string());
}

class ServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { spdlog::set_level(spdlog::level::warn); }

  ServerTest() {
    options_.port = 0;
    options_.io_threads = 2;
    options_.worker_threads = 2;
    options_.max_body_bytes = 1024;
    options_.shutdown_grace = 5s;
    auto tokens = std::make_shared<StaticTokenAuthenticator>();
    tokens->add_token("op", Principal{"alice", {"operator"}, {"cn"}});
    authenticator_ = tokens;
  }

  // Builds the server with the common routes plus `extra`, and starts it.
  void start(const std::function<void(Server&)>& extra = {}) {
    server_ = std::make_unique<Server>(options_, registry_, authenticator_);
    Server& s = *server_;
    ASSERT_TRUE(s.route(Verb::get, "/v1/vehicles/{vin}", RouteOptions::public_access(), [](const Request& r) {
                   return Response::text(StatusCode::ok,
                                         std::string(r.param("vin")) + "|" + r.query_param("q").value_or("-"));
                 }).is_ok());
    ASSERT_TRUE(s.route(Verb::get, "/whoami", RouteOptions::for_roles({"operator"}), [](const Request& r) {
                   return Response::text(StatusCode::ok, r.principal()->subject);
                 }).is_ok());
    ASSERT_TRUE(s.route(Verb::get, "/nobody", RouteOptions{}, [](const Request&) {
                   return Response::text(StatusCode::ok, "reached");
                 }).is_ok());
    ASSERT_TRUE(s.route(Verb::post, "/echo", RouteOptions::public_access(), [](const Request& r) {
                   return Response::text(StatusCode::ok, r.body());
                 }).is_ok());
    RouteOptions big = RouteOptions::public_access();
    big.max_body_bytes = 4096;
    ASSERT_TRUE(s.route(Verb::post, "/big", big, [](const Request& r) {
                   return Response::text(StatusCode::ok, std::to_string(r.body().size()));
                 }).is_ok());
    ASSERT_TRUE(s.route(Verb::get, "/peer", RouteOptions::public_access(), [](const Request& r) {
                   return Response::text(StatusCode::ok, r.remote_address());
                 }).is_ok());
    ASSERT_TRUE(s.route(Verb::get, "/throw", RouteOptions::public_access(), [](const Request&) -> Response {
                   throw std::runtime_error("boom");
                 }).is_ok());
    ASSERT_TRUE(s.route(Verb::get, "/missing", RouteOptions::public_access(), [](const Request&) {
                   return error_response(not_found("no vehicle LSV0000"));
                 }).is_ok());
    if (extra) extra(s);
    ASSERT_TRUE(s.start().is_ok());
    ASSERT_NE(s.port(), 0);
  }

  void TearDown() override {
    if (server_) server_->stop();
  }

  TestClient client() { return TestClient("127.0.0.1", server_->port()); }

  ServerOptions options_;
  std::shared_ptr<MetricsRegistry> registry_ = std::make_shared<MetricsRegistry>();
  std::shared_ptr<const Authenticator> authenticator_;
  std::unique_ptr<Server> server_;
};

TEST_F(ServerTest, RoutesWithParamsAndQuery) {
  start();
  TestClient c = client();
  Result<ClientResponse> r = c.get("/v1/vehicles/LSVAB4182E2184467?q=a%20b");
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->status, 200u);
  EXPECT_EQ(r->body, "LSVAB4182E2184467|a b");
  EXPECT_EQ(r->header("Server"), "fleetgate");
}

// Lines logged while it lives, in the text format of `serve` (src/core/log_line.h).
class CapturedLog {
 public:
  CapturedLog() : previous_(spdlog::default_logger()) {
    auto logger = std::make_shared<spdlog::logger>("", std::make_shared<spdlog::sinks::ostream_sink_mt>(out_));
    logger->set_formatter(make_log_formatter(config::LogSettings::Format::kText));
    logger->set_level(spdlog::level::info);
    logger->flush_on(spdlog::level::trace);
    spdlog::set_default_logger(std::move(logger));
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  std::string text() {
    spdlog::default_logger()->flush();
    return out_.str();
  }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

TEST_F(ServerTest, EveryAnswerNamesItsRequestIdAndSoDoItsLogLines) {
  start([](Server& s) {
    ASSERT_TRUE(s.route(Verb::get, "/regional", RouteOptions::for_roles({"operator"}), [](const Request& r) {
                   spdlog::info("handler line");
                   return Response::text(StatusCode::ok, r.request_id());
                 }).is_ok());
  });
  CapturedLog log;
  TestClient c = client();
  Result<ClientResponse> first = c.get("/regional", {{"Authorization", "Bearer op"}});
  Result<ClientResponse> second = c.get("/regional", {{"Authorization", "Bearer op"}});
  Result<ClientResponse> missing = c.get("/nope");
  ASSERT_TRUE(first.is_ok() && second.is_ok() && missing.is_ok());
  const std::string id = std::string(first->header("x-request-id"));
  EXPECT_TRUE(id.starts_with("req_")) << id;
  EXPECT_EQ(first->body, id) << "the handler sees the id the client is told";
  EXPECT_NE(second->header("x-request-id"), id);
  EXPECT_FALSE(missing->header("x-request-id").empty()) << "a refusal has an id too";
  server_->stop();  // every access line written
  const std::string text = log.text();
  // alice acts in cn only, so her requests' lines name it, the handler's and the access line alike.
  EXPECT_NE(text.find(" info cn /regional " + id + " handler line\n"), std::string::npos) << text;
  EXPECT_NE(text.find(" info cn /regional " + id + " http "), std::string::npos) << text;
  EXPECT_NE(text.find(" - - " + std::string(missing->header("x-request-id")) + " http "), std::string::npos) << text;
}

TEST_F(ServerTest, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  start();
  TestClient c = client();
  Result<ClientResponse> r = c.get("/nope");
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->status, 404u);
  EXPECT_EQ(r->header("Content-Type"), "application/json");
  EXPECT_EQ(error_code_of(*r), "not_found");
  r = c.request(Verb::delete_, "/echo");
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->status, 405u);
  EXPECT_EQ(r->header("Allow"), "POST");
  EXPECT_TRUE(r->keep_alive);
  r = c.get("/v1/vehicles/bad%zz");
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->status, 400u);
}

TEST_F(ServerTest, HandlerErrorsAreOpenAiShapedJson) {
  start();
  TestClient c = client();
  Result<ClientResponse> r = c.get("/missing");
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->status, 404u);
  boost::json::value v = boost::json::parse(r->body);
  EXPECT_EQ(v.at("error").at("message").as_string(), "no vehicle LSV0000");
  EXPECT_EQ(v.at("error").at("type").as_string(), "not_found_error");
  r = c.get("/throw");
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->status, 500u);
  EXPECT_EQ(error_code_of(*r), "internal");
  EXPECT_EQ(r->body.find("boom"), std::string::npos);  // internals stay in the log
}

TEST_F(ServerTest, AccessIsDeclaredPerRoute) {
  start();
  TestClient c = client();
  Result<ClientResponse> r = c.get("/whoami");
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->status, 401u);
  EXPECT_EQ(r->header("WWW-Authenticate"), "Bearer");
  r = c.get("/whoami", {{"Authorization", "Bearer wrong"}});
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->status, 401u);
  r = c.get("/whoami", {{"Authorization", "Bearer op"}});
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->status, 200u);
  EXPECT_EQ(r->body, "alice");
  r = c.get("/nobody", {{"Authorization", "Bearer op"}});
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->status, 403u);
  EXPECT_EQ(error_code_of(*r), "permission_denied");
}

TEST_F(ServerTest, OversizedBodyGets413AndClose) {
  start();
  TestClient c = client();
  Result<ClientResponse> r = c.post("/echo", std::string(1025, 'x'));
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->status, 413u);
  EXPECT_EQ(error_code_of(*r), "request_too_large");
  EXPECT_FALSE(r->keep_alive);
  r = c.post("/echo", std::string(1024, 'x'));
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->status, 200u);
  r = c.post("/big", std::string(3000, 'x'));
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->status, 200u);
  EXPECT_EQ(r->body, "3000");
}

TEST_F(ServerTest, ChunkedBodyOverTheLimitGets413) {
  start();
  std::string request = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 3; ++i) request += "200\r\n" + std::string(512, 'y') + "\r\n";
  request += "0\r\n\r\n";
  Result<std::string> out = testing::exchange_raw("127.0.0.1", server_->port(), request);
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_TRUE(out->starts_with("HTTP/1.1 413")) << *out;
}

// Registers POST /upload for operators, with a body limit far above the server's.
void add_upload_route(Server& s) {
  RouteOptions operators = RouteOptions::for_roles({"operator"});
  operators.max_body_bytes = size_t{64} << 20;
  ASSERT_TRUE(s.route(Verb::post, "/upload", operators, [](const Request& r) {
                 return Response::text(StatusCode::ok, std::to_string(r.body().size()));
               }).is_ok());
}

TEST_F(ServerTest, AccessIsDecidedFromTheHeadBeforeAnyBodyIsRead) {
  options_.body_timeout = 60s;  // longer than the client waits: reading the body would hang the test
  start(add_upload_route);
  // Only the heads are sent: a server that read the body before the access check would wait for it.
  const std::string announced = "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 60000000\r\n";
  Result<std::string> out = testing::exchange_raw("127.0.0.1", server_->port(), announced + "\r\n");
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_TRUE(out->starts_with("HTTP/1.1 401")) << *out;
  EXPECT_NE(out->find("WWW-Authenticate: Bearer"), std::string::npos) << *out;

  out = testing::exchange_raw("127.0.0.1", server_->port(),
                              "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1000\r\n" +
                                  std::string(4096, 'z'));
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_TRUE(out->starts_with("HTTP/1.1 401")) << *out;

  // Expect: 100-continue gets the refusal instead of the go-ahead.
  out = testing::exchange_raw("127.0.0.1", server_->port(), announced + "Expect: 100-continue\r\n\r\n");
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_TRUE(out->starts_with("HTTP/1.1 401")) << *out;

  // A route nobody may call, and a path no route takes, refuse before the body too.
  out = testing::exchange_raw("127.0.0.1", server_->port(),
                              "POST /nope HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n");
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_TRUE(out->starts_with("HTTP/1.1 404")) << *out;
}

TEST_F(ServerTest, MisdirectedRequestsAreAnsweredFromTheHeadBeforeAccessAndBody) {
  options_.body_timeout = 60s;  // longer than the client waits: reading the body would hang the test
  options_.misdirected = [](const Request& r) -> std::optional<Response> {
    if (r.header("X-Home") != "elsewhere") return std::nullopt;
    Response moved = error_response(StatusCode::temporary_redirect, "served elsewhere", "wrong_region");
    moved.headers.set(beast_http::field::location, "https://elsewhere.example" + std::string(r.target()));
    return moved;
  };
  start(add_upload_route);
  // No token and 60 MB announced but never sent: the answer comes from the head alone.
  Result<std::string> out = testing::exchange_raw(
      "127.0.0.1", server_->port(),
      "POST /upload?x=1 HTTP/1.1\r\nHost: x\r\nX-Home: elsewhere\r\nContent-Length: 60000000\r\n\r\n");
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_TRUE(out->starts_with("HTTP/1.1 307")) << *out;
  EXPECT_NE(out->find("Location: https://elsewhere.example/upload?x=1\r\n"), std::string::npos) << *out;
  EXPECT_NE(out->find("\"code\":\"wrong_region\""), std::string::npos) << *out;

  // Requests the check lets through proceed as before.
  TestClient c = client();
  Result<ClientResponse> r = c.get("/whoami", {{"Authorization", "Bearer op"}});
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->status, 200u);
  EXPECT_EQ(r->body, "alice");
}

TEST_F(ServerTest, AdmittedCallerStillMeetsTheRouteLimitForEitherFraming) {
  options_.body_timeout = 60s;
  start(add_upload_route);
  const std::string head = "POST /upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer op\r\n";
  Result<std::string> out = testing::exchange_raw("127.0.0.1", server_->port(),
                                                  head + "Content-Length: 67108865\r\n\r\n");
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_TRUE(out->starts_with("HTTP/1.1 413")) << *out;

  TestClient c = client();
  // Above Beast's default limit (1 MB) but within the route's, announced by Content-Length.
  Result<ClientResponse> r = c.post("/upload", std::string(2'000'000, 'u'), {{"Authorization", "Bearer op"}});
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->status, 200u);
  EXPECT_EQ(r->body, "2000000");
  // Under the route's limit, the server-wide limit does not apply; a refusal that left no body
  // unread keeps the connection.
  r = c.post("/upload", "{}");
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->status, 401u);
  EXPECT_FALSE(r->keep_alive);
  r = c.get("/whoami");
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->status, 401u);
  EXPECT_TRUE(r->keep_alive);
}

TEST_F(ServerTest, ConnectionsBeyondTheLimitAreClosedAtOnce) {
  options_.max_connections = 2;
  start();
  TestClient first = client();
  TestClient second = client();
  ASSERT_TRUE(first.get("/healthz").is_ok());
  ASSERT_TRUE(second.get("/healthz").is_ok());
  Result<std::string> out = testing::exchange_raw("127.0.0.1", server_->port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(*out, "");
  EXPECT_NE(server_->metrics().render().find("http_connections_refused_total 1"), std::string::npos);

  // Room again once a connection closes (the server notices the close asynchronously).
  first.close();
  bool served = false;
  for (auto deadline = std::chrono::steady_clock::now() + kGuard; !served && std::chrono::steady_clock::now() < deadline;) {
    Result<std::string> again =
        testing::exchange_raw("127.0.0.1", server_->port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    served = again.is_ok() && again->starts_with("HTTP/1.1 200");
    if (!served) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(served);
}

TEST_F(ServerTest, MalformedRequestsGet400AndClose) {
  start();
  for (const std::string& bad : {std::string("BLAH\r\n\r\n"), std::string("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"),
                                std::string("GET / HTTP/9.9\r\n\r\n"), std::string("\x01\x02\x03\r\n\r\n", 7)}) {
    Result<std::string> out = testing::exchange_raw("127.0.0.1", server_->port(), bad);
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    EXPECT_TRUE(out->starts_with("HTTP/1.1 400")) << *out;
    EXPECT_NE(out->find("\"code\":\"malformed_request\""), std::string::npos) << *out;
  }
  Result<ClientResponse> still = client().get("/healthz");
  ASSERT_TRUE(still.is_ok());
  EXPECT_EQ(still->status, 200u);
}

TEST_F(ServerTest, OversizedHeaderGets431) {
  start();
  const std::string request = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'h') + "\r\n\r\n";
  Result<std::string> out = testing::exchange_raw("127.0.0.1", server_->port(), request);
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_TRUE(out->starts_with("HTTP/1.1 431")) << *out;
}

TEST_F(ServerTest, SlowHeadersAreCutOff) {
  options_.header_timeout = 200ms;
  start();
  // A head that never completes and a connection that never speaks are both closed by the server.
  Result<std::string> out = testing::exchange_raw("127.0.0.1", server_->port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n");
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_EQ(*out, "");
  out = testing::exchange_raw("127.0.0.1", server_->port(), "");
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
}

TEST_F(ServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  start();
  TestClient c = client();
  std::string first_peer;
  for (int i = 0; i < 5; ++i) {
    Result<ClientResponse> r = c.get("/peer");
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_TRUE(r->keep_alive);
    if (i == 0) first_peer = r->body;
    EXPECT_EQ(r->body, first_peer);
  }
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  start();
  const std::string one = "GET /v1/vehicles/A HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string two = "GET /v1/vehicles/B HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  Result<std::string> out = testing::exchange_raw("127.0.0.1", server_->port(), one + two);
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  const size_t a = out->find("A|-");
  const size_t b = out->find("B|-");
  ASSERT_NE(a, std::string::npos) << *out;
  ASSERT_NE(b, std::string::npos) << *out;
  EXPECT_LT(a, b);
}

TEST_F(ServerTest, ConcurrentClients) {
  start();
  constexpr int kClients = 8;
  constexpr int kRequests = 25;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&, t] {
      TestClient c = client();
      for (int i = 0; i < kRequests; ++i) {
        const std::string vin = "V" + std::to_string(t) + "-" + std::to_string(i);
        Result<ClientResponse> r = c.get("/v1/vehicles/" + vin);
        if (r.is_ok() && r->status == 200 && r->body == vin + "|-") ok.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kClients * kRequests);
  server_->stop();  // each request is counted after its response is written: wait for all of them
  EXPECT_NE(registry_->render().find(
                "http_requests_total{method=\"GET\",route=\"/v1/vehicles/{vin}\",status=\"200\"} 200\n"),
            std::string::npos);
}

TEST_F(ServerTest, HealthReadinessAndMetrics) {
  std::atomic<bool> is_ready{false};
  start([&](Server& s) {
    s.set_readiness_check([&] { return is_ready ? Status::ok() : unavailable("store still opening"); });
  });
  TestClient c = client();
  Result<ClientResponse> r = c.get("/healthz");
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->status, 200u);
  r = c.get("/readyz");
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->status, 503u);
  EXPECT_EQ(error_code_of(*r), "not_ready");
  is_ready = true;
  r = c.get("/readyz");
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->status, 200u);
  ASSERT_TRUE(c.get("/healthz").is_ok());

  r = c.get("/metrics");
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->status, 200u);
  EXPECT_EQ(r->header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  const std::string& text = r->body;
  for (const char* line : {
           "# TYPE http_requests_total counter\n",
           "http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 2\n",
           "http_requests_total{method=\"GET\",route=\"/readyz\",status=\"503\"} 1\n",
           "# TYPE http_request_duration_seconds histogram\n",
           "http_request_duration_seconds_bucket{method=\"GET\",route=\"/healthz\",le=\"+Inf\"} 2\n",
           "http_request_duration_seconds_count{method=\"GET\",route=\"/healthz\"} 2\n",
           "# TYPE http_requests_in_flight gauge\n",
           "http_requests_in_flight 1\n",  // the /metrics request itself
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n---\n" << text;
  }
  EXPECT_NE(text.find("http_request_duration_seconds_sum{method=\"GET\",route=\"/healthz\"} "), std::string::npos);
  // Unmatched paths share one label value so clients cannot blow up the series count.
  ASSERT_TRUE(c.get("/random/path/1").is_ok());
  r = c.get("/metrics");  // same connection: the 404 was counted before this request was read
  ASSERT_TRUE(r.is_ok());
  EXPECT_NE(r->body.find("route=\"unmatched\",status=\"404\"} 1\n"), std::string::npos) << r->body;
}

TEST_F(ServerTest, SseEventsArriveOneByOne) {
  std::promise<void> client_saw_first;
  std::shared_future<void> saw_first = client_saw_first.get_future().share();
  start([&](Server& s) {
    ASSERT_TRUE(s.stream_route(Verb::post, "/v1/chat", RouteOptions::public_access(),
                               [saw_first](const Request&, StreamWriter& w) {
                                 if (!w.start().is_ok() || !w.send_event("one").is_ok()) return;
                                 // Event two is written only after the client has read event one.
                                 if (saw_first.wait_for(kGuard) != std::future_status::ready) return;
                                 (void)w.send_event("two\nlines", "delta");
                               })
                    .is_ok());
  });
  TestClient c = client();
  Result<std::unique_ptr<testing::SseStream>> stream = c.stream(Verb::post, "/v1/chat", "{}");
  ASSERT_TRUE(stream.is_ok()) << stream.status().to_string();
  testing::SseStream& events = **stream;
  EXPECT_EQ(events.status(), 200u);
  EXPECT_EQ(events.headers()[beast_http::field::content_type], "text/event-stream");
  EXPECT_EQ(events.headers()[beast_http::field::transfer_encoding], "chunked");
  Result<std::optional<testing::SseEvent>> e = events.next();
  ASSERT_TRUE(e.is_ok()) << e.status().to_string();
  ASSERT_TRUE(e->has_value());
  EXPECT_EQ((*e)->data, "one");
  client_saw_first.set_value();
  e = events.next();
  ASSERT_TRUE(e.is_ok() && e->has_value()) << e.status().to_string();
  EXPECT_EQ((*e)->event, "delta");
  EXPECT_EQ((*e)->data, "two\nlines");
  e = events.next();
  ASSERT_TRUE(e.is_ok());
  EXPECT_FALSE(e->has_value());
}

TEST_F(ServerTest, StreamHandlerSeesClientDisconnect) {
  std::promise<void> saw_cancel;
  start([&](Server& s) {
    ASSERT_TRUE(s.stream_route(Verb::get, "/v1/wait", RouteOptions::public_access(),
                               [&saw_cancel](const Request&, StreamWriter& w) {
                                 auto cancelled = std::make_shared<std::promise<void>>();
                                 w.on_cancel([cancelled] { cancelled->set_value(); });
                                 if (!w.start().is_ok() || !w.send_event("hello").is_ok()) return;
                                 // Stands in for an upstream request that must be abandoned.
                                 std::future<void> f = cancelled->get_future();
                                 if (f.wait_for(kGuard) == std::future_status::ready) saw_cancel.set_value();
                               })
                    .is_ok());
  });
  TestClient c = client();
  Result<std::unique_ptr<testing::SseStream>> stream = c.stream(Verb::get, "/v1/wait");
  ASSERT_TRUE(stream.is_ok()) << stream.status().to_string();
  Result<std::optional<testing::SseEvent>> e = (*stream)->next();
  ASSERT_TRUE(e.is_ok() && e->has_value());
  (*stream)->close();
  std::future<void> f = saw_cancel.get_future();
  EXPECT_TRUE(ready(f));
}

// Reads events from..to-1, each its number followed by 1000 'x', then the end of the stream.
void expect_numbered_events(testing::SseStream& stream, int from, int to) {
  for (int i = from; i < to; ++i) {
    Result<std::optional<testing::SseEvent>> e = stream.next();
    ASSERT_TRUE(e.is_ok() && e->has_value()) << "event " << i;
    ASSERT_EQ((*e)->data, std::to_string(i) + std::string(1000, 'x'));
  }
  Result<std::optional<testing::SseEvent>> end = stream.next();
  ASSERT_TRUE(end.is_ok());
  EXPECT_FALSE(end->has_value());
}

TEST_F(ServerTest, ManyQueuedChunksArriveWholeAndInOrder) {
  constexpr int kEvents = 3000;  // ~3 MB: far more than the sink queues before the handler waits
  start([&](Server& s) {
    ASSERT_TRUE(s.stream_route(Verb::get, "/v1/many", RouteOptions::public_access(),
                               [](const Request&, StreamWriter& w) {
                                 if (!w.start().is_ok()) return;
                                 for (int i = 0; i < kEvents; ++i) {
                                   if (!w.send_event(std::to_string(i) + std::string(1000, 'x')).is_ok()) return;
                                 }
                               })
                    .is_ok());
  });
  TestClient c = client();
  Result<std::unique_ptr<testing::SseStream>> stream = c.stream(Verb::get, "/v1/many");
  ASSERT_TRUE(stream.is_ok()) << stream.status().to_string();
  expect_numbered_events(**stream, 0, kEvents);
}

TEST_F(ServerTest, WritesFailOnceTheClientIsGone) {
  std::promise<int> writes_until_failure;
  start([&](Server& s) {
    ASSERT_TRUE(s.stream_route(Verb::get, "/v1/endless", RouteOptions::public_access(),
                               [&writes_until_failure](const Request&, StreamWriter& w) {
                                 if (!w.start().is_ok()) return;
                                 for (int i = 1; i <= 10'000'000; ++i) {
                                   if (!w.send_event(std::string(100, 'y')).is_ok()) {
                                     writes_until_failure.set_value(i);
                                     return;
                                   }
                                 }
                                 writes_until_failure.set_value(0);
                               })
                    .is_ok());
  });
  TestClient c = client();
  Result<std::unique_ptr<testing::SseStream>> stream = c.stream(Verb::get, "/v1/endless");
  ASSERT_TRUE(stream.is_ok()) << stream.status().to_string();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE((*stream)->next().is_ok());
  (*stream)->close();
  std::future<int> f = writes_until_failure.get_future();
  ASSERT_TRUE(ready(f));
  EXPECT_GT(f.get(), 10) << "the handler's writes must fail after the client closed, not run to the end";
}

// Both kinds of stream handler, on a worker (/v1/...) and on the loop (/v1/async/...).
TEST_F(ServerTest, StreamHandlersMayReplyOrFail) {
  start([&](Server& s) {
    ASSERT_TRUE(s.stream_route(Verb::get, "/v1/refuse", RouteOptions::public_access(),
                               [](const Request&, StreamWriter& w) {
                                 (void)w.reply(error_response(invalid_argument("model is required")));
                               })
                    .is_ok());
    ASSERT_TRUE(s.stream_route(Verb::get, "/v1/fail", RouteOptions::public_access(),
                               [](const Request&, StreamWriter&) {})
                    .is_ok());
    ASSERT_TRUE(s.stream_route(Verb::get, "/v1/locked", RouteOptions::for_roles({"vehicle"}),
                               [](const Request&, StreamWriter& w) { (void)w.start(); })
                    .is_ok());
    ASSERT_TRUE(s.async_stream_route(Verb::get, "/v1/async/refuse", RouteOptions::public_access(),
                                     [](const Request&, StreamWriter& w) -> boost::asio::awaitable<void> {
                                       (void)w.reply(error_response(invalid_argument("model is required")));
                                       co_return;
                                     })
                    .is_ok());
    ASSERT_TRUE(s.async_stream_route(Verb::get, "/v1/async/fail", RouteOptions::public_access(),
                                     [](const Request&, StreamWriter&) -> boost::asio::awaitable<void> {
                                       throw std::runtime_error("boom");
                                       co_return;
                                     })
                    .is_ok());
    ASSERT_TRUE(s.async_stream_route(Verb::get, "/v1/async/locked", RouteOptions::for_roles({"vehicle"}),
                                     [](const Request&, StreamWriter& w) -> boost::asio::awaitable<void> {
                                       (void)w.start();
                                       co_return;
                                     })
                    .is_ok());
  });
  TestClient c = client();
  for (std::string prefix : {"/v1/", "/v1/async/"}) {
    Result<ClientResponse> r = c.get(prefix + "refuse");
    ASSERT_TRUE(r.is_ok());
    EXPECT_EQ(r->status, 400u) << prefix;
    EXPECT_EQ(error_code_of(*r), "invalid_argument");
    r = c.get(prefix + "fail");  // no response at all, or an exception
    ASSERT_TRUE(r.is_ok());
    EXPECT_EQ(r->status, 500u) << prefix;
    r = c.get(prefix + "locked", {{"Authorization", "Bearer op"}});
    ASSERT_TRUE(r.is_ok());
    EXPECT_EQ(r->status, 403u) << prefix;
    r = c.get(prefix + "locked");
    ASSERT_TRUE(r.is_ok());
    EXPECT_EQ(r->status, 401u) << prefix;
  }
}

// An async handler runs on the connection's loop: while it waits for a slow client (writable()),
// the same loop keeps serving other connections, and every chunk still arrives in order.
TEST_F(ServerTest, AsyncStreamHandlerWaitsForASlowClientWithoutBlockingItsLoop) {
  // ~12 MB: far more than the sink's queue plus the loopback socket buffers (up to ~4 MB here).
  constexpr int kEvents = 12000;
  options_.io_threads = 1;  // both clients on the same loop
  std::atomic<int> sent{0};
  start([&](Server& s) {
    ASSERT_TRUE(s.async_stream_route(Verb::get, "/v1/many", RouteOptions::public_access(),
                                     [&sent](const Request&, StreamWriter& w) -> boost::asio::awaitable<void> {
                                       if (!w.start().is_ok()) co_return;
                                       for (int i = 0; i < kEvents; ++i) {
                                         if (!w.send_event(std::to_string(i) + std::string(1000, 'x')).is_ok()) co_return;
                                         ++sent;
                                         co_await w.writable();
                                       }
                                     })
                    .is_ok());
  });
  TestClient slow = client();
  Result<std::unique_ptr<testing::SseStream>> stream = slow.stream(Verb::get, "/v1/many");
  ASSERT_TRUE(stream.is_ok()) << stream.status().to_string();
  ASSERT_TRUE((*stream)->next().is_ok());
  std::this_thread::sleep_for(200ms);  // the handler runs ahead until the queue is full, then waits
  EXPECT_LT(sent.load(), kEvents) << "the handler waited for the slow client";
  Result<ClientResponse> other = client().get("/healthz");
  ASSERT_TRUE(other.is_ok()) << other.status().to_string();
  EXPECT_EQ(other->status, 200u) << "the loop serves others while the stream waits";
  expect_numbered_events(**stream, 1, kEvents);
}

TEST_F(ServerTest, GracefulStopFinishesInFlightRequest) {
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  start([&](Server& s) {
    ASSERT_TRUE(s.route(Verb::get, "/slow", RouteOptions::public_access(), [&entered, released](const Request&) {
                   entered.set_value();
                   if (released.wait_for(kGuard) != std::future_status::ready) {
                     return Response::text(StatusCode::ok, "never released");
                   }
                   return Response::text(StatusCode::ok, "done");
                 }).is_ok());
  });
  const uint16_t port = server_->port();
  Result<ClientResponse> slow = unavailable("not run");
  std::thread caller([&] { slow = TestClient("127.0.0.1", port).get("/slow"); });
  std::future<void> in_handler = entered.get_future();
  ASSERT_TRUE(ready(in_handler));

  std::thread stopper([&] { server_->stop(); });
  // Wait until the server refuses new work, then let the in-flight request finish.
  bool refused = false;
  for (int i = 0; i < 500 && !refused; ++i) {
    refused = !TestClient("127.0.0.1", port).get("/healthz").is_ok();
    if (!refused) std::this_thread::sleep_for(20ms);
  }
  release.set_value();
  caller.join();
  stopper.join();
  EXPECT_TRUE(refused);
  ASSERT_TRUE(slow.is_ok()) << slow.status().to_string();
  EXPECT_EQ(slow->status, 200u);
  EXPECT_EQ(slow->body, "done");
  EXPECT_FALSE(slow->keep_alive);
  EXPECT_FALSE(TestClient("127.0.0.1", port).get("/healthz").is_ok());
}

TEST_F(ServerTest, StopClosesIdleKeepAliveConnections) {
  options_.shutdown_grace = std::chrono::hours(1);  // stop() would hang if it waited on idle peers
  start();
  TestClient c = client();
  ASSERT_TRUE(c.get("/healthz").is_ok());
  server_->stop();
  EXPECT_FALSE(c.get("/healthz").is_ok());
}

TEST_F(ServerTest, StopDeadlineCancelsEndlessStreams) {
  options_.shutdown_grace = 100ms;
  std::promise<void> saw_cancel;
  start([&](Server& s) {
    ASSERT_TRUE(s.stream_route(Verb::get, "/v1/forever", RouteOptions::public_access(),
                               [&saw_cancel](const Request&, StreamWriter& w) {
                                 auto cancelled = std::make_shared<std::promise<void>>();
                                 w.on_cancel([cancelled] { cancelled->set_value(); });
                                 if (!w.start().is_ok() || !w.send_event("tick").is_ok()) return;
                                 std::future<void> f = cancelled->get_future();
                                 if (f.wait_for(kGuard) == std::future_status::ready) saw_cancel.set_value();
                               })
                    .is_ok());
  });
  TestClient c = client();
  Result<std::unique_ptr<testing::SseStream>> stream = c.stream(Verb::get, "/v1/forever");
  ASSERT_TRUE(stream.is_ok());
  ASSERT_TRUE((*stream)->next().is_ok());
  server_->stop();
  std::future<void> f = saw_cancel.get_future();
  EXPECT_EQ(f.wait_for(0s), std::future_status::ready);
}

net::awaitable<void> shout_back(const Request&, WebSocketSession& session) {
  boost::beast::flat_buffer buffer;
  for (;;) {
    co_await session.stream().async_read(buffer, net::use_awaitable);
    std::string text = boost::beast::buffers_to_string(buffer.data());
    buffer.consume(buffer.size());
    // Stands in for a blocking store write: runs on the worker pool, not the I/O thread.
    auto to_upper = [text] {
      std::string out = text;
      for (char& ch : out) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      return out;
    };
    std::string upper = co_await session.run_blocking(std::move(to_upper));
    session.stream().text(true);
    co_await session.stream().async_write(net::buffer(upper), net::use_awaitable);
  }
}

TEST_F(ServerTest, WebSocketRouteTakesOverTheConnection) {
  start([&](Server& s) {
    ASSERT_TRUE(s.websocket_route("/v1/ingest", RouteOptions::public_access(), shout_back).is_ok());
    ASSERT_TRUE(s.websocket_route("/v1/locked", RouteOptions::for_roles({"vehicle"}), shout_back).is_ok());
  });
  Result<std::unique_ptr<testing::TestWebSocket>> ws =
      testing::TestWebSocket::connect("127.0.0.1", server_->port(), "/v1/ingest");
  ASSERT_TRUE(ws.is_ok()) << ws.status().to_string();
  for (const char* msg : {"hello", "second frame"}) {
    ASSERT_TRUE((*ws)->send(msg).is_ok());
    Result<std::string> echo = (*ws)->receive();
    ASSERT_TRUE(echo.is_ok()) << echo.status().to_string();
    std::string expected = msg;
    for (char& ch : expected) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    EXPECT_EQ(*echo, expected);
  }
  EXPECT_TRUE((*ws)->close().is_ok());
  EXPECT_NE(registry_->render().find("route=\"/v1/ingest\",status=\"101\"} 1\n"), std::string::npos);

  Result<ClientResponse> plain = client().get("/v1/ingest");
  ASSERT_TRUE(plain.is_ok());
  EXPECT_EQ(plain->status, 426u);
  Result<std::unique_ptr<testing::TestWebSocket>> denied =
      testing::TestWebSocket::connect("127.0.0.1", server_->port(), "/v1/locked");
  ASSERT_FALSE(denied.is_ok());
  EXPECT_NE(denied.status().message().find("HTTP 401"), std::string::npos) << denied.status().message();
}

// Token "car" is a vehicle whose credential can be revoked the way the access module does it:
// first in the credential store (here `revoked`), then in the server's SessionRegistry. A test
// may run a step inside the n-th check, after the credential was found valid: the deterministic
// stand-in for a revocation that lands while an upgrade is being admitted.
class RevocableAuthenticator : public Authenticator {
 public:
  static constexpr std::string_view kCredential = "token:car";

  Result<Principal> authenticate(const Request& request) const override {
    std::function<void()> step;
    {
      std::lock_guard lock(mu_);
      const int n = ++checks_;
      if (bearer_token(request) != "car" || revoked_) return Status(Code::kUnauthenticated, "invalid bearer token");
      if (auto it = steps_.find(n); it != steps_.end()) step = it->second;
    }
    if (step) step();
    return Principal{"LSVAB4182E2184467", {"vehicle"}, {"cn"}, std::string(kCredential)};
  }

  // Revokes the car's credential: the store first, then its sessions.
  void revoke(SessionRegistry& sessions) {
    {
      std::lock_guard lock(mu_);
      revoked_ = true;
    }
    sessions.end(kCredential);
  }
  void during_check(int n, std::function<void()> step) {
    std::lock_guard lock(mu_);
    steps_[n] = std::move(step);
  }
  // How many checks ran, refusals included.
  int checks() const {
    std::lock_guard lock(mu_);
    return checks_;
  }

 private:
  mutable std::mutex mu_;
  mutable int checks_ = 0;
  bool revoked_ = false;
  std::map<int, std::function<void()>> steps_;
};

class WebSocketRevocationTest : public ServerTest {
 protected:
  WebSocketRevocationTest() { authenticator_ = car_; }

  void start_echo() {
    start([&](Server& s) {
      ASSERT_TRUE(s.websocket_route("/v1/ws", RouteOptions::for_roles({"vehicle"}), shout_back).is_ok());
    });
  }
  Result<std::unique_ptr<testing::TestWebSocket>> connect() {
    return testing::TestWebSocket::connect("127.0.0.1", server_->port(), "/v1/ws", {{"Authorization", "Bearer car"}});
  }

  std::shared_ptr<RevocableAuthenticator> car_ = std::make_shared<RevocableAuthenticator>();
};

TEST_F(WebSocketRevocationTest, ARevokedCredentialsSocketIsClosedByTheServer) {
  ASSERT_NO_FATAL_FAILURE(start_echo());
  auto ws = connect();
  ASSERT_TRUE(ws.is_ok()) << ws.status().to_string();
  ASSERT_TRUE((*ws)->send("before").is_ok());
  Result<std::string> echo = (*ws)->receive();
  ASSERT_TRUE(echo.is_ok()) << echo.status().to_string();
  EXPECT_EQ(*echo, "BEFORE");
  EXPECT_EQ(car_->checks(), 1) << "no revocation ran meanwhile: the credential is checked once";
  car_->revoke(server_->sessions());
  (void)(*ws)->send("after");
  EXPECT_FALSE((*ws)->receive().is_ok()) << "the handler takes no revocation over, so the server closes";
}

// The revocation lands after the check found the credential valid and before the socket is
// registered: it ends nothing, so only a second check, made because a revocation began in the
// window, refuses the upgrade.
TEST_F(WebSocketRevocationTest, ARevocationBetweenTheCheckAndTheRegistrationRefusesTheUpgrade) {
  car_->during_check(1, [this] { car_->revoke(server_->sessions()); });
  ASSERT_NO_FATAL_FAILURE(start_echo());
  auto ws = connect();
  ASSERT_FALSE(ws.is_ok()) << "the socket of a revoked credential was opened";
  EXPECT_NE(ws.status().message().find("HTTP 401"), std::string::npos) << ws.status().message();
  EXPECT_EQ(car_->checks(), 2) << "a second check, which found the credential revoked";
}

// Another credential's revocation in the window makes the server check again; this car's own
// revocation lands during that second check, once the session is registered: it finds the session
// and the upgrade is refused.
TEST_F(WebSocketRevocationTest, ARevocationAfterTheRegistrationEndsTheSessionBeforeTheUpgrade) {
  car_->during_check(1, [this] { server_->sessions().end("token:another-car"); });
  car_->during_check(2, [this] { car_->revoke(server_->sessions()); });
  ASSERT_NO_FATAL_FAILURE(start_echo());
  auto ws = connect();
  ASSERT_FALSE(ws.is_ok()) << "the socket of a revoked credential was opened";
  EXPECT_NE(ws.status().message().find("HTTP 401"), std::string::npos) << ws.status().message();
  EXPECT_EQ(car_->checks(), 2);
}

TEST_F(ServerTest, RegistrationIsClosedOnceStarted) {
  start();
  EXPECT_EQ(server_->route(Verb::get, "/late", RouteOptions::public_access(), [](const Request&) { return Response{}; })
                .code(),
            Code::kFailedPrecondition);
  EXPECT_EQ(server_->start().code(), Code::kFailedPrecondition);
}

TEST_F(ServerTest, StartReportsBadAddressAndBusyPort) {
  start();
  ServerOptions same = options_;
  same.port = server_->port();
  Server clash(same);
  EXPECT_EQ(clash.start().code(), Code::kUnavailable);
  ServerOptions bad = options_;
  bad.listen_address = "not-an-ip";
  Server wrong(bad);
  EXPECT_EQ(wrong.start().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace fleetgate::http
