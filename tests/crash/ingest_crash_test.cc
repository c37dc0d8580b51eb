// Crash test: a simulated fleet streams telemetry to a separate ingest process, which is killed
// with SIGKILL mid-run; after a restart every record the server had acknowledged is in the store.
#include <gtest/gtest.h>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "fleetgate/access/credentials.h"
#include "fleetgate/store/data_dir.h"
#include "fleetgate/store/test_dir.h"
#include "fleetgate/telemetry/fleet_sim.h"
#include "fleetgate/telemetry/ingest_service.h"
#include "fleetgate/telemetry/sim_vehicle.h"

extern char** environ;

namespace fleetgate {
namespace {

constexpr const char* kServer = FLEETGATE_BINARY_DIR "/tests/crash/ingest_server";

// The repository config with every data dir under `dir`.
std::filesystem::path write_config(const std::filesystem::path& dir) {
  std::ifstream in(FLEETGATE_SOURCE_DIR "/config/fleetgate.toml");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string from = "data_dir = \"../data\"";
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos);
  text.replace(at, from.size(), "data_dir = \"" + (dir / "data").string() + "\"");
  const auto path = dir / "fleetgate.toml";
  std::ofstream(path) << text;
  return path;
}

struct ControlPlane {
  std::shared_ptr<const residency::Policy> policy;
  std::unique_ptr<store::KvStore> store;
  std::unique_ptr<audit::AuditLog> audit;
  std::unique_ptr<vehicle::FleetRegistry> registry;
};

ControlPlane open_control(const std::filesystem::path& config_file) {
  ControlPlane cp;
  auto cfg = config::load_config(config_file);
  EXPECT_TRUE(cfg.is_ok()) << cfg.status().to_string();
  cp.policy = std::make_shared<const residency::Policy>(
      residency::Policy::create(std::make_shared<const config::Config>(std::move(cfg).value())).value());
  cp.store = store::open_control_store(cp.policy->config()).value();
  cp.audit = audit::AuditLog::open(*cp.store).value();
  cp.registry = std::make_unique<vehicle::FleetRegistry>(*cp.audit, cp.policy);
  return cp;
}

// Starts the server process; returns its pid and port.
std::pair<pid_t, uint16_t> start_server(const std::filesystem::path& config_file) {
  int out[2];
  EXPECT_EQ(pipe(out), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  const std::string config_arg = config_file.string();
  char* argv[] = {const_cast<char*>(kServer), const_cast<char*>(config_arg.c_str()), nullptr};
  pid_t pid = -1;
  EXPECT_EQ(posix_spawn(&pid, kServer, &actions, nullptr, argv, environ), 0);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  FILE* from_server = fdopen(out[0], "r");
  unsigned port = 0;
  EXPECT_EQ(std::fscanf(from_server, "port %u", &port), 1) << "the server did not start";
  std::fclose(from_server);
  return {pid, static_cast<uint16_t>(port)};
}

TEST(IngestCrash, EveryAcknowledgedRecordSurvivesSigkill) {
  store::TestDir dir;
  const auto config_file = write_config(dir.path());
  telemetry::FleetSimOptions sim;
  std::map<std::string, std::string> home;
  {
    ControlPlane cp = open_control(config_file);
    access::CredentialStore credentials(*cp.audit);
    const char* markets[] = {"US", "DE", "CN"};
    for (uint32_t i = 0; i < 9; ++i) {
      const std::string vin = telemetry::sim_vin(500 + i);
      auto v = cp.registry->register_vehicle(vin, markets[i % 3], "crash", "test");
      ASSERT_TRUE(v.is_ok()) << v.status().to_string();
      home[vin] = v->region;
      sim.vehicles.push_back({vin, credentials.issue_vehicle_token(vin, v->region, "test").value()});
    }
  }

  auto [pid, port] = start_server(config_file);
  ASSERT_GT(port, 0);
  sim.port = port;
  sim.rate = 0;
  sim.duration = std::chrono::seconds(20);  // ended early by the kill
  sim.acked_log = dir / "acked.txt";
  std::thread killer([pid = pid] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    kill(pid, SIGKILL);
  });
  auto progress = telemetry::run_fleet(sim);
  killer.join();
  int wstatus = 0;
  ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL);
  ASSERT_TRUE(progress.is_ok());
  ASSERT_GT(progress->acked, 0u) << "the fleet had records acknowledged before the kill";
  EXPECT_EQ(progress->errors, sim.vehicles.size()) << "every connection broke with the kill";

  // Restart: open everything as the next process would, then look up every acknowledged record.
  ControlPlane cp = open_control(config_file);
  auto stores = store::open_region_stores(cp.policy->config(), telemetry::region_store_options());
  ASSERT_TRUE(stores.is_ok()) << stores.status().to_string();
  auto service = telemetry::IngestService::create(cp.policy, *stores, *cp.registry, *cp.audit);
  ASSERT_TRUE(service.is_ok());
  std::map<std::string, std::set<uint64_t>> stored;
  for (const auto& [vin, region] : home) {
    auto records = (*service)->region(region)->read(vin, INT64_MIN, INT64_MAX, SIZE_MAX);
    ASSERT_TRUE(records.is_ok()) << records.status().to_string();
    for (const auto& r : *records) stored[vin].insert(r.seq);
  }
  std::ifstream acked(sim.acked_log);
  std::string vin;
  uint64_t seq = 0;
  size_t checked = 0;
  while (acked >> vin >> seq) {
    ++checked;
    EXPECT_TRUE(stored[vin].contains(seq)) << vin << " seq " << seq << " was acknowledged but is not stored";
  }
  EXPECT_EQ(checked, progress->acked);
}

}  // namespace
}  // namespace fleetgate
