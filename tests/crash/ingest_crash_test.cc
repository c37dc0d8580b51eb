// Crash test: `fleetgate sim run` streams telemetry to `fleetgate serve`, which is killed with
// SIGKILL mid-run and restarted on the same port. The simulator reconnects and resends what was
// not acknowledged; afterwards every record the server acknowledged is in the store, and no
// record is stored twice.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <system_error>
#include <thread>

#include "fleetgate/app/region_telemetry_open.h"
#include "fleetgate/store/data_dir.h"
#include "fleetgate/store/test_dir.h"
#include "fleetgate/telemetry/ingest_service.h"
#include "support/acked_log.h"
#include "support/fleetgate_process.h"
#include "support/scratch_config.h"

namespace fleetgate {
namespace {

using testing::exited_zero;
using testing::read_output;
using testing::spawn_fleetgate;
using testing::wait_for;

constexpr size_t kVehicles = 9;

TEST(IngestCrash, EveryAcknowledgedRecordSurvivesSigkillAndRetriesStoreNoDuplicates) {
  store::TestDir dir;
  const auto config = testing::write_scratch_config(dir.path());
  const auto tokens = dir / "tokens";
  const auto acked = dir / "acked.txt";
  auto fleet = spawn_fleetgate(
      {"-c", config.string(), "sim", "fleet", "--vehicles", std::to_string(kVehicles), "--tokens", tokens.string()});
  read_output(fleet);
  ASSERT_TRUE(exited_zero(wait_for(fleet)));

  // One node: it comes back on the port the cars know, which a balancer in front would hold.
  // (Two nodes, one killed under the fleet: tests/postgres/stream_nodes_test.cc.)
  testing::Serve server = testing::start_serve(config, 0, dir / "serve.log", /*one_node=*/true);
  const uint16_t port = server.port;
  ASSERT_GT(port, 0);
  auto sim = spawn_fleetgate({"sim", "run", "--tokens", tokens.string(), "--url",
                               "ws://127.0.0.1:" + std::to_string(port) + "/v1/telemetry/ws", "--rate", "0",
                               "--duration", "10", "--records-per-frame", "5", "--acked", acked.string(), "--json"});
  // Kill once acknowledgements flow (bounded: a slow start, e.g. under ASan, must not make the
  // crash land before the first ack), and a little later so that frames are in flight. The cars
  // drive 10 s and reconnect until 10 s after that: on a loaded machine the first ack and the
  // restart can each take seconds, and with 4 s of driving the cars gave up before the server
  // was back (acked 200 of 3,075 sent, with two copies of this test and two busy loops on the
  // 2 cores).
  ASSERT_TRUE(testing::acks_pass(acked, 0, 0, 60)) << "no acknowledgement within 60 s";
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  testing::stop_serve(server, SIGKILL);
  testing::Serve restarted = testing::start_serve(config, port, dir / "serve.log");
  ASSERT_EQ(restarted.port, port);
  const std::string summary_text = read_output(sim);
  ASSERT_TRUE(exited_zero(wait_for(sim)));
  testing::stop_serve(restarted);

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
  telemetry::IngestOptions options;
  options.make_region = app::stream_telemetry_factory();  // the "pg." copy keeps telemetry on JetStream
  auto service = telemetry::IngestService::create(policy, *stores, registry, *audit, options);
  ASSERT_TRUE(service.is_ok()) << service.status().to_string();

  const testing::AckedLog log = testing::read_acked_log(acked);
  EXPECT_EQ(log.lines, acked_records);
  ASSERT_EQ(log.seqs.size(), kVehicles);
  for (const auto& [vin, seqs] : log.seqs) {
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
