// `fleetgate serve` buffers its log (a line per request) instead of writing each line: the
// buffer must still reach the output while serve runs, and all of it when serve stops.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include "fleetgate/http/test_client.h"
#include "fleetgate/store/test_dir.h"
#include "support/fleetgate_process.h"
#include "support/scratch_config.h"

namespace fleetgate {
namespace {

constexpr int kRequests = 25;
const std::string kAccessLine = "GET /healthz 200";

size_t count_of(const std::filesystem::path& log, const std::string& needle) {
  std::ifstream in(log);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST(ServeLog, AccessLinesReachTheOutputWhileServingAndAllOfThemOnStop) {
  store::TestDir dir;
  const auto log = dir / "serve.log";
  // One node: the test counts the access lines in its log.
  testing::Serve server = testing::start_serve(testing::write_scratch_config(dir.path()), 0, log, /*one_node=*/true);
  ASSERT_GT(server.port, 0);
  http::testing::TestClient client("127.0.0.1", server.port);
  for (int i = 0; i < kRequests; ++i) {
    auto r = client.get("/healthz");
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    ASSERT_EQ(r->status, 200u);
  }
  // Buffered lines go out on the periodic flush (every second); 30 s is far beyond that.
  for (int i = 0; i < 600 && count_of(log, kAccessLine) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_GT(count_of(log, kAccessLine), 0u) << "no access line while serving; see " << log;

  auto last = client.get("/healthz");  // logged just before the stop: only the stop can flush it
  ASSERT_TRUE(last.is_ok()) << last.status().to_string();
  client.close();
  testing::stop_serve(server);
  EXPECT_EQ(count_of(log, kAccessLine), static_cast<size_t>(kRequests + 1)) << "see " << log;
  EXPECT_EQ(count_of(log, "fleetgate stopped"), 1u);
}

}  // namespace
}  // namespace fleetgate
