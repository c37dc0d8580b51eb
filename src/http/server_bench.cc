// Requests per second on GET /healthz over one kept-alive loopback connection per benchmark
// thread: the fixed cost of the server (parse, route, worker hop, write, metrics, access log).
#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>

#include "fleetgate/http/server.h"
#include "fleetgate/http/test_client.h"

namespace fleetgate::http {
namespace {

Server& shared_server() {
  static Server* server = [] {
    spdlog::set_level(spdlog::level::warn);
    ServerOptions o;
    o.port = 0;
    o.access_log_level = spdlog::level::debug;  // built, then filtered out like in production at info
    auto* s = new Server(o);
    if (!s->start().is_ok()) std::abort();
    return s;
  }();
  return *server;
}

void BM_HealthzKeepAlive(benchmark::State& state) {
  testing::TestClient client("127.0.0.1", shared_server().port());
  for (auto _ : state) {
    Result<testing::ClientResponse> r = client.get("/healthz");
    if (!r.is_ok() || r->status != 200) {
      state.SkipWithError("request failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HealthzKeepAlive)->UseRealTime()->Threads(1)->Threads(4);

}  // namespace
}  // namespace fleetgate::http

BENCHMARK_MAIN();
