// The simulated-fleet data path end to end: tools/sumo-scenarios.sh generates a small SUMO
// scenario for eu, `sim fleet --region eu` registers vehicles, `sim replay` sends the traffic
// through the normal WebSocket ingest of a running `fleetgate serve`, and `train curate` builds
// a dataset in eu. Every record and the dataset must be in eu's store and nowhere else.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "fleetgate/learning/dataset.h"
#include "fleetgate/store/data_dir.h"
#include "fleetgate/store/embedded_store.h"
#include "fleetgate/store/test_dir.h"
#include "support/scratch_config.h"

extern char** environ;

namespace fleetgate {
namespace {

const std::string kFleetgate = FLEETGATE_BINARY_DIR "/src/app/fleetgate";
const std::string kScenarios = FLEETGATE_SOURCE_DIR "/tools/sumo-scenarios.sh";

bool sumo_installed() {
  return std::system("command -v sumo >/dev/null && command -v netgenerate >/dev/null && "
                     "test -f \"${SUMO_HOME:-/usr/share/sumo}/tools/randomTrips.py\"") == 0;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs a shell command with stdout and stderr to `log`; its exit code.
int run(const std::string& command, const std::filesystem::path& log) {
  const int status = std::system((command + " >" + log.string() + " 2>&1").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// `fleetgate serve` on an ephemeral port, its output in `log`.
struct Server {
  pid_t pid = -1;
  uint16_t port = 0;
};

Server start_server(const std::filesystem::path& config, const std::filesystem::path& log) {
  std::vector<std::string> args = {kFleetgate, "-c", config.string(), "serve", "--port", "0"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  Server s;
  EXPECT_EQ(posix_spawn(&s.pid, kFleetgate.c_str(), &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  // Bounded wait for the "listening on http://HOST:PORT" line.
  for (int i = 0; i < 600 && s.port == 0; ++i) {
    const std::string text = slurp(log);
    const size_t at = text.find("listening on ");
    if (at != std::string::npos) {
      const size_t colon = text.find(':', text.find("://", at) + 3);
      s.port = static_cast<uint16_t>(std::stoul(text.substr(colon + 1)));
      break;
    }
    if (waitpid(s.pid, nullptr, WNOHANG) == s.pid) {
      s.pid = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return s;
}

void stop_server(Server& s) {
  if (s.pid <= 0) return;
  kill(s.pid, SIGTERM);
  int status = 0;
  waitpid(s.pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  s.pid = -1;
}

std::string value_of(const std::string& env_text, const std::string& name) {
  const size_t at = env_text.find(name + "=");
  if (at == std::string::npos) return "";
  const size_t start = at + name.size() + 1;
  return env_text.substr(start, env_text.find('\n', start) - start);
}

size_t count_keys(const store::KvReader& kv, std::string_view prefix) {
  size_t n = 0;
  for (auto it = kv.scan(prefix); it->valid(); it->next()) ++n;
  return n;
}

TEST(SumoPipeline, ReplayedTrafficIsCuratedInItsRegionOnly) {
  if (!sumo_installed()) GTEST_SKIP() << "SUMO is not installed (Debian packages sumo and sumo-tools; ./dev setup installs them)";
  store::TestDir dir;
  const auto scenarios = dir / "scenarios";
  ASSERT_EQ(run(kScenarios + " --out " + scenarios.string() + " --size ci --seed 3 --regions eu", dir / "scenarios.log"), 0)
      << slurp(dir / "scenarios.log");
  const std::string env = slurp(scenarios / "eu" / "scenario.env");
  ASSERT_EQ(value_of(env, "REGION"), "eu");
  const std::string vehicles = value_of(env, "VEHICLES");
  ASSERT_GT(std::stoi(vehicles), 0);

  const auto config = testing::write_scratch_config(dir.path());
  const std::string fg = kFleetgate + " -c " + config.string();
  const auto tokens = dir / "eu.tokens";
  ASSERT_EQ(run(fg + " sim fleet --region eu --vehicles " + vehicles + " --tokens " + tokens.string(), dir / "fleet.log"), 0)
      << slurp(dir / "fleet.log");

  Server server = start_server(config, dir / "serve.log");
  ASSERT_GT(server.port, 0) << slurp(dir / "serve.log");
  const int replayed = run(fg + " sim replay --sumo-fcd " + (scenarios / "eu" / "fcd.xml").string() +
                               " --region eu --tokens " + tokens.string() + " --url ws://127.0.0.1:" +
                               std::to_string(server.port) + "/v1/telemetry/ws",
                           dir / "replay.log");
  stop_server(server);
  ASSERT_EQ(replayed, 0) << slurp(dir / "replay.log");

  ASSERT_EQ(run(fg + " train curate --region eu --seed 5 --json", dir / "curate.log"), 0) << slurp(dir / "curate.log");
  const std::string curate_text = slurp(dir / "curate.log");
  const boost::json::object summary = boost::json::parse(curate_text).as_object();
  EXPECT_GT(summary.at("positives").to_number<int64_t>(), 0) << curate_text;
  EXPECT_GT(summary.at("negatives").to_number<int64_t>(), 0) << curate_text;
  EXPECT_GT(summary.at("test_examples").to_number<int64_t>(), 0) << curate_text;
  EXPECT_GT(summary.at("counts_per_trigger").as_object().at("hard_brake").to_number<int64_t>(), 0) << curate_text;

  ASSERT_EQ(run(fg + " train datasets --region eu", dir / "datasets.log"), 0);
  EXPECT_NE(slurp(dir / "datasets.log").find(std::string(summary.at("version").as_string())), std::string::npos);

  // Training in region learns from the replayed traffic: a model that learned nothing ranks the
  // held-out windows at chance (AUC 0.5); the trainer's unit test compares against untrained weights.
  ASSERT_EQ(run(fg + " train local --region eu --epochs 10 --seed 3 --json", dir / "train.log"), 0) << slurp(dir / "train.log");
  const std::string train_text = slurp(dir / "train.log");
  const auto json_at = train_text.rfind("{\"region\"");  // stdout's JSON follows stderr's progress
  ASSERT_NE(json_at, std::string::npos) << train_text;
  const boost::json::object trained = boost::json::parse(train_text.substr(json_at)).as_object();
  EXPECT_GT(trained.at("test_auc").to_number<double>(), 0.65) << train_text;

  // Residency: records and the dataset are in eu's store, none in cn's or us's.
  auto cfg = config::load_config(config);
  ASSERT_TRUE(cfg.is_ok()) << cfg.status().to_string();
  for (const auto& region : cfg->regions) {
    auto kv = store::open_embedded(store::region_store_dir(region));
    ASSERT_TRUE(kv.is_ok()) << kv.status().to_string();
    const size_t records = count_keys(**kv, "p_");
    const size_t datasets = count_keys(**kv, learning::kDatasetKeyPrefix);
    if (region.id == "eu") {
      EXPECT_GT(records, 1000u);
      EXPECT_EQ(datasets, 2u);  // summary and sealed examples
    } else {
      EXPECT_EQ(records, 0u) << region.id;
      EXPECT_EQ(datasets, 0u) << region.id;
    }
  }
}

}  // namespace
}  // namespace fleetgate
