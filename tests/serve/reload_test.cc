// SIGHUP reloads `fleetgate serve`: a new config that passes the checks of `config check` is
// served from then on, every change logged, with no connection refused while the service
// switches over; a bad file is refused and the config in use keeps serving.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include "fleetgate/http/test_client.h"
#include "fleetgate/store/test_dir.h"
#include "support/fleetgate_process.h"
#include "support/free_port.h"
#include "support/scratch_config.h"

namespace fleetgate {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class ServeReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = testing::write_scratch_config(dir_.path());
    fs::copy_file(fs::path(FLEETGATE_SOURCE_DIR) / "config" / "ledger.toml", dir_ / "ledger.toml");
    fs::create_directories(dir_ / "work");
    shipped_ = read_text(config_);
  }

  testing::CommandResult run(std::vector<std::string> args) {
    args.insert(args.begin(), {"-c", config_.string()});
    return testing::run_fleetgate(std::move(args), dir_ / "work");
  }

  // Whether serve's log holds `needle` `n` times, waiting for it 30 s at most.
  bool logged(const std::string& needle, size_t n = 1) {
    for (int i = 0; i < 600; ++i) {
      const std::string text = read_text(log_);
      size_t seen = 0;
      for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++seen;
      if (seen >= n) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  // POST /v1/vehicles of `vin` in `market`: the answer's status.
  unsigned register_car(uint16_t port, const std::string& token, const std::string& vin, const std::string& market) {
    http::testing::TestClient client("127.0.0.1", port);
    auto r = client.post("/v1/vehicles", R"({"vin":")" + vin + R"(","market":")" + market + R"("})",
                         {{"Authorization", "Bearer " + token}});
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    return r.is_ok() ? r->status : 0;
  }

  store::TestDir dir_;
  fs::path config_;
  fs::path log_ = dir_ / "serve.log";
  std::string shipped_;
};

TEST_F(ServeReloadTest, ANewConfigIsServedWithoutRefusingAConnectionAndABadOneIsRefused) {
  // A fixed port, so that a service which closed its socket and bound anew would have refused
  // connections in between (an ephemeral one would simply have changed).
  testing::Serve server = testing::start_serve(config_, testing::free_port(), log_, /*one_node=*/true);
  ASSERT_GT(server.port, 0);
  ASSERT_EQ(run({"user", "add", "ops", "--role", "operator", "--region", "*"}).code, 0);
  const testing::CommandResult token = run({"user", "token", "ops"});
  ASSERT_EQ(token.code, 0) << token;
  const std::string ops = token.out.substr(0, token.out.find('\n'));
  // Japan is no market of the shipped config.
  EXPECT_EQ(register_car(server.port, ops, "JTDKB20U293123456", "JP"), 400u);

  // New connections, one request each, all through the reload: none may be refused or fail.
  std::atomic<bool> done{false};
  std::atomic<int> answered{0}, failed{0};
  std::thread prober([&] {
    const auto deadline = std::chrono::steady_clock::now() + 60s;  // bounded even if the test fails
    while (!done && std::chrono::steady_clock::now() < deadline) {
      http::testing::TestClient client("127.0.0.1", server.port);
      auto r = client.get("/healthz");
      (r.is_ok() && r->status == 200 ? answered : failed)++;
      std::this_thread::sleep_for(2ms);
    }
  });

  {
    std::string text = shipped_ + "\n[log]\nformat = \"json\"\n";
    text.replace(text.find("[markets]\n"), 10, "[markets]\nJP = \"us\"\n");
    std::ofstream(config_) << text;
  }
  ASSERT_EQ(kill(server.process.pid, SIGHUP), 0);
  ASSERT_TRUE(logged("fleetgate listening on", 2)) << read_text(log_);
  const int before_settled = answered.load();
  std::this_thread::sleep_for(300ms);  // requests after the switch, too
  done = true;
  prober.join();
  EXPECT_EQ(failed.load(), 0) << answered.load() << " answered";
  EXPECT_GT(answered.load(), before_settled);

  const std::string after_reload = read_text(log_);
  EXPECT_NE(after_reload.find("reload: config markets.JP added: \"us\""), std::string::npos) << after_reload;
  EXPECT_NE(after_reload.find("reload: config log added"), std::string::npos) << after_reload;
  EXPECT_EQ(register_car(server.port, ops, "JTDKB20U293123456", "JP"), 201u) << "the new market is served";
  // The new [log] format: the access line of that request is a JSON object with its route and id.
  ASSERT_TRUE(logged("\"route\":\"/v1/vehicles\"")) << read_text(log_);

  // A file that fails the checks is refused, and the config in use stays.
  {
    std::string text = read_text(config_);
    text.replace(text.find("JP = \"us\""), 9, "JP = \"mars\"");
    std::ofstream(config_) << text;
  }
  ASSERT_EQ(kill(server.process.pid, SIGHUP), 0);
  ASSERT_TRUE(logged("reload refused, the configuration in use stays")) << read_text(log_);
  EXPECT_TRUE(logged("mars"));
  EXPECT_EQ(register_car(server.port, ops, "JTDKB20U393123465", "JP"), 201u) << "JP still served by us";
  testing::stop_serve(server);
  EXPECT_TRUE(logged("fleetgate stopped"));
}

// A stop asked for while a reload drains is not lost: serve ends (by the signal's own default
// action once the drain is over, or gracefully when the next service already runs), it does not
// go on serving the new config.
TEST_F(ServeReloadTest, ASigtermDuringAReloadStillStopsServe) {
  testing::Serve server = testing::start_serve(config_, 0, log_, /*one_node=*/true);
  ASSERT_GT(server.port, 0);
  const pid_t pid = server.process.pid;
  ASSERT_EQ(kill(pid, SIGHUP), 0);
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int wstatus = 0;
  pid_t ended = 0;
  for (int i = 0; i < 600 && ended == 0; ++i) {  // 30 s at most
    ended = waitpid(pid, &wstatus, WNOHANG);
    if (ended == 0) std::this_thread::sleep_for(50ms);
  }
  ASSERT_EQ(ended, pid) << "serve still runs 30 s after SIGTERM; see " << read_text(log_);
  server.process.pid = -1;
  EXPECT_TRUE((WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) || (WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGTERM))
      << "status " << wstatus;
}

}  // namespace
}  // namespace fleetgate
