// Crash test: `fleetgate sim run` streams telemetry to `fleetgate serve`, which is killed with
// SIGKILL mid-run and restarted on the same port. The simulator reconnects and resends what was
// not acknowledged; afterwards every record the server acknowledged is in the store, and no
// record is stored twice.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <system_error>
#include <thread>

#include "fleetgate/store/data_dir.h"
#include "fleetgate/store/test_dir.h"
#include "fleetgate/telemetry/ingest_service.h"
#include "support/scratch_config.h"
#include "support/serve_output.h"

extern char** environ;

namespace fleetgate {
namespace {

constexpr const char* kFleetgate = FLEETGATE_BINARY_DIR "/src/app/fleetgate";
constexpr size_t kVehicles = 9;

// A fleetgate process with its stdout on a pipe.
struct Child {
  pid_t pid = -1;
  FILE* out = nullptr;
};

Child spawn_fleetgate(std::vector<std::string> args) {
  args.insert(args.begin(), kFleetgate);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int out[2];
  EXPECT_EQ(pipe(out), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  Child child;
  EXPECT_EQ(posix_spawn(&child.pid, kFleetgate, &actions, nullptr, argv.data(), environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  child.out = fdopen(out[0], "r");
  return child;
}

std::string read_all(FILE* f) {
  std::string text;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, f)) text.append(buf, n);
  std::fclose(f);
  return text;
}

int wait_for(pid_t pid) {
  int wstatus = 0;
  EXPECT_EQ(waitpid(pid, &wstatus, 0), pid);
  return wstatus;
}

// `fleetgate serve` on `port` (0 = ephemeral); returns once it listens, with the port it printed.
std::pair<Child, uint16_t> start_server(const std::filesystem::path& config, uint16_t port) {
  Child server = spawn_fleetgate({"-c", config.string(), "serve", "--port", std::to_string(port)});
  char line[512];
  while (std::fgets(line, sizeof line, server.out) != nullptr) {
    if (std::optional<uint16_t> bound = testing::serve_port(line)) return {server, *bound};
  }
  ADD_FAILURE() << "fleetgate serve exited without listening";
  return {server, 0};
}

void stop_server(Child& server, int signal) {
  kill(server.pid, signal);
  const int wstatus = wait_for(server.pid);
  std::fclose(server.out);
  if (signal == SIGKILL) EXPECT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL);
  else EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
}

TEST(IngestCrash, EveryAcknowledgedRecordSurvivesSigkillAndRetriesStoreNoDuplicates) {
  store::TestDir dir;
  const auto config = testing::write_scratch_config(dir.path());
  const auto tokens = dir / "tokens";
  const auto acked = dir / "acked.txt";
  Child fleet = spawn_fleetgate(
      {"-c", config.string(), "sim", "fleet", "--vehicles", std::to_string(kVehicles), "--tokens", tokens.string()});
  read_all(fleet.out);
  ASSERT_EQ(wait_for(fleet.pid), 0);

  auto [server, port] = start_server(config, 0);
  ASSERT_GT(port, 0);
  std::error_code ignored;  // the acked file appears with the first acknowledgement
  Child sim = spawn_fleetgate({"sim", "run", "--tokens", tokens.string(), "--url",
                               "ws://127.0.0.1:" + std::to_string(port) + "/v1/telemetry/ws", "--rate", "0",
                               "--duration", "4", "--records-per-frame", "5", "--acked", acked.string(), "--json"});
  // Kill once acknowledgements flow (bounded: a slow start, e.g. under ASan, must not make the
  // crash land before the first ack), and a little later so that frames are in flight.
  for (int i = 0; i < 1200 && std::filesystem::file_size(acked, ignored) == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_GT(std::filesystem::file_size(acked, ignored), 0u) << "no acknowledgement within 60 s";
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  stop_server(server, SIGKILL);
  auto [restarted, same_port] = start_server(config, port);
  ASSERT_EQ(same_port, port);
  const std::string summary_text = read_all(sim.out);
  ASSERT_EQ(wait_for(sim.pid), 0);
  stop_server(restarted, SIGTERM);

  const boost::json::object summary = boost::json::parse(summary_text).as_object();
  const uint64_t acked_records = summary.at("acked").to_number<uint64_t>();
  ASSERT_GT(acked_records, 0u);
  EXPECT_GE(summary.at("reconnects").to_number<uint64_t>(), kVehicles) << summary_text << ": every vehicle came back";
  EXPECT_EQ(summary.at("refused").to_number<uint64_t>(), 0u) << summary_text;
  EXPECT_EQ(acked_records, summary.at("sent").to_number<uint64_t>()) << summary_text << ": resent frames got acked";

  // Open everything as the next process would, then look up every acknowledged record.
  auto cfg = config::load_config(config);
  ASSERT_TRUE(cfg.is_ok()) << cfg.status().to_string();
  auto policy = std::make_shared<const residency::Policy>(
      residency::Policy::create(std::make_shared<const config::Config>(std::move(cfg).value())).value());
  auto control = store::open_control_store(policy->config()).value();
  auto audit = audit::AuditLog::open(*control).value();
  vehicle::FleetRegistry registry(*audit, policy);
  auto stores = store::open_region_stores(policy->config(), telemetry::region_store_options());
  ASSERT_TRUE(stores.is_ok()) << stores.status().to_string();
  auto service = telemetry::IngestService::create(policy, *stores, registry, *audit);
  ASSERT_TRUE(service.is_ok());

  std::map<std::string, std::set<uint64_t>> acked_seqs;
  std::ifstream log(acked);
  std::string vin;
  uint64_t seq = 0;
  size_t lines = 0;
  while (log >> vin >> seq) {
    ++lines;
    acked_seqs[vin].insert(seq);
  }
  EXPECT_EQ(lines, acked_records);
  ASSERT_EQ(acked_seqs.size(), kVehicles);
  for (const auto& [vin, seqs] : acked_seqs) {
    auto home = registry.show(vin);
    ASSERT_TRUE(home.is_ok()) << home.status().to_string();
    auto records = (*service)->region(home->region)->read(vin, INT64_MIN, INT64_MAX, SIZE_MAX);
    ASSERT_TRUE(records.is_ok()) << records.status().to_string();
    std::set<uint64_t> stored;
    for (const auto& r : *records) {
      EXPECT_TRUE(stored.insert(r.seq).second) << vin << " seq " << r.seq << " is stored twice";
    }
    for (uint64_t s : seqs) EXPECT_TRUE(stored.contains(s)) << vin << " seq " << s << " was acknowledged but is not stored";
  }
}

}  // namespace
}  // namespace fleetgate
