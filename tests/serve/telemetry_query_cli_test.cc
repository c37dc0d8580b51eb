// `fleetgate telemetry query` of the real binary pages like GET /v1/telemetry/{vin} (README
// "Telemetry ingest", Queries): at most --limit records on stdout, the next page's --cursor on
// stderr while records remain, and --cursor continues the same query.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "fleetgate/http/test_client.h"
#include "fleetgate/store/test_dir.h"
#include "support/fleetgate_process.h"
#include "support/scratch_config.h"

namespace fleetgate {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr const char* kVin = "XP7YGCEK7PB021447";  // sold in DE: homed in eu

// Runs `fleetgate ARGS...` to the end with stdout and stderr in `log`; whether it exited 0, and
// what it wrote (the log starts empty).
bool run(const std::vector<std::string>& args, const fs::path& log, std::string& output) {
  fs::remove(log);
  testing::FleetgateProcess p = testing::spawn_fleetgate(args, log);
  const bool ok = testing::exited_zero(testing::wait_for(p));
  std::ifstream in(log);
  output.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return ok;
}

// The seq of every JSON record line of `output`, and the cursor its "more records" line names.
struct Page {
  std::vector<int64_t> seqs;
  std::string cursor;
};
Page page_of(const std::string& output) {
  Page page;
  std::istringstream lines(output);
  const std::string more = "more records: --cursor ";
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("{")) page.seqs.push_back(json::parse(line).at("seq").as_int64());
    if (line.starts_with(more)) page.cursor = line.substr(more.size());
  }
  return page;
}

TEST(TelemetryQueryCli, PagesWithTheCursorItPrints) {
  store::TestDir dir;
  const std::string config = testing::write_scratch_config(dir.path()).string();
  const fs::path log = dir / "cli.log";
  std::string out;
  ASSERT_TRUE(run({"-c", config, "fleet", "register", kVin, "--market", "DE"}, log, out)) << out;
  ASSERT_TRUE(run({"-c", config, "fleet", "token", kVin}, log, out)) << out;
  const std::string token = out.substr(0, out.find('\n'));

  {
    testing::Serve server = testing::start_serve(config, 0, dir / "serve.log");
    ASSERT_GT(server.port, 0);
    const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
    json::array frames;
    for (int64_t seq = 1; seq <= 3; ++seq) {
      frames.push_back(json::object{{"vin", kVin}, {"created_at", now - 10'000 + seq}, {"seq", seq},
                                    {"data", json::array{json::object{{"field", "speed"}, {"value", 40 + seq}}}}});
    }
    http::testing::TestClient client("127.0.0.1", server.port);
    auto stored = client.post("/v1/telemetry", json::serialize(frames), {{"Authorization", "Bearer " + token}});
    ASSERT_TRUE(stored.is_ok()) << stored.status().to_string();
    ASSERT_EQ(stored->status, 200u) << stored->body;
    testing::stop_serve(server);
  }

  const std::vector<std::string> query = {"-c", config, "telemetry", "query", kVin, "--as-region", "eu",
                                          "--limit", "2", "--json"};
  ASSERT_TRUE(run(query, log, out)) << out;
  const Page first = page_of(out);
  EXPECT_EQ(first.seqs, (std::vector<int64_t>{1, 2})) << out;
  ASSERT_FALSE(first.cursor.empty()) << "records remain, so the next page's cursor is printed: " << out;

  std::vector<std::string> next = query;
  next.insert(next.end(), {"--cursor", first.cursor});
  ASSERT_TRUE(run(next, log, out)) << out;
  const Page second = page_of(out);
  EXPECT_EQ(second.seqs, (std::vector<int64_t>{3})) << out;
  EXPECT_TRUE(second.cursor.empty()) << "the last page names no cursor: " << out;

  next.back() = "0123";
  EXPECT_FALSE(run(next, log, out)) << "a bad cursor fails the command: " << out;
  EXPECT_NE(out.find("cursor"), std::string::npos) << out;
}

}  // namespace
}  // namespace fleetgate
