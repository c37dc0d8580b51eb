// `fleetgate bench-client` against a real `fleetgate serve` (the embedded config, where the
// on-board engine answers without an API key): what it reports adds up.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <string>
#include <utility>
#include <vector>

#include "fleetgate/store/test_dir.h"
#include "support/fleetgate_process.h"
#include "support/scratch_config.h"

namespace fleetgate {
namespace {

namespace json = boost::json;
using testing::exited_zero;
using testing::read_output;
using testing::spawn_fleetgate;
using testing::wait_for;

constexpr char kVin[] = "LRW3E7EA8PC390117";

// Runs `fleetgate ARGS...` to its end; its stdout, and whether it exited 0.
std::pair<std::string, bool> run(std::vector<std::string> args) {
  auto child = spawn_fleetgate(std::move(args));
  std::string out = read_output(child);
  return {out, exited_zero(wait_for(child))};
}

json::object bench(uint16_t port, const std::string& token) {
  auto [out, ok] = run({"bench-client", "--url", "http://127.0.0.1:" + std::to_string(port) + "/v1/chat/completions",
                        "--token", token, "--rate", "40", "--duration", "1", "--connections", "4", "--header-stat",
                        "x-fleetgate-overhead-us", "--json"});
  EXPECT_TRUE(ok) << out;
  return json::parse(out).as_object();
}

uint64_t count(const json::object& o, const char* key) { return o.at(key).to_number<uint64_t>(); }

TEST(BenchClient, CountsEveryRequestAndReportsTheGatewayOverheadHeader) {
  store::TestDir dir;
  const auto config = testing::write_scratch_config(dir.path());
  ASSERT_TRUE(run({"-c", config.string(), "fleet", "register", kVin, "--market", "DE"}).second);
  auto [token_line, issued] = run({"-c", config.string(), "fleet", "token", kVin});
  ASSERT_TRUE(issued);
  const std::string token = token_line.substr(0, token_line.find('\n'));
  testing::Serve server = testing::start_serve(config, 0, dir / "serve.log");
  ASSERT_GT(server.port, 0);

  const json::object answered = bench(server.port, token);
  EXPECT_EQ(count(answered, "requests"), 40u);
  EXPECT_EQ(count(answered, "ok"), 40u) << json::serialize(answered);
  EXPECT_EQ(count(answered, "errors"), 0u);
  const json::object& overhead = answered.at("header_stat").as_object();
  EXPECT_EQ(overhead.at("name").as_string(), "x-fleetgate-overhead-us");
  EXPECT_EQ(count(overhead, "count"), 40u) << "every answer states the gateway's overhead";
  EXPECT_EQ(count(overhead, "missing"), 0u);
  EXPECT_LE(overhead.at("p50").to_number<double>(), overhead.at("max").to_number<double>());
  const double latency_max_us = answered.at("latency_ms").as_object().at("max").to_number<double>() * 1000;
  EXPECT_LE(overhead.at("max").to_number<double>(), latency_max_us) << "the gateway's part of a request is within it";

  const json::object refused = bench(server.port, "not-a-token");
  EXPECT_EQ(count(refused, "ok"), 0u);
  EXPECT_EQ(count(refused, "errors"), 40u);
  EXPECT_EQ(refused.at("errors_by_kind").as_object().at("http_401").to_number<uint64_t>(), 40u);
  EXPECT_EQ(count(refused.at("header_stat").as_object(), "count"), 0u);
  testing::stop_serve(server);
}

}  // namespace
}  // namespace fleetgate
