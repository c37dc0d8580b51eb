// Faults under a streaming fleet in region cn's distributed mode, acknowledged "persisted" (after
// the COMMIT in the region's PostgreSQL): 64 cars stream with `fleetgate sim run` while a
// materializing node is SIGKILLed, or while the region's PostgreSQL is restarted. Afterwards every
// acknowledged record is readable exactly once, and acks flow again within a bound after each
// fault. The bounds are generous (30 s) because the 3 nats-servers, PostgreSQL, the nodes and
// the simulator share 2 cores with other work: a takeover needs the dead materializer's blocks
// to come again after ack_wait (5 s), and acks wait for them in stream order.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <string>
#include <thread>

#include "fleetgate/store/test_dir.h"
#include "support/acked_readback.h"
#include "support/fleetgate_process.h"
#include "support/stream_region.h"

namespace fleetgate {
namespace {

namespace fs = std::filesystem;

// The fleet: 64 cars at 50 records/s each, 10 records per frame, at most 4 frames unacknowledged
// per car, so at most kInFlight records are unacknowledged at any moment.
constexpr int kCars = 64;
constexpr size_t kInFlight = kCars * 4 * 10;
constexpr int kBoundSeconds = 30;
// How long the fleet streams: room for both faults of a test within their bounds (each took
// 1-7 s, on a machine with a load average of 6-15).
constexpr int kStreamSeconds = 60;

// A node's config: cn's telemetry on JetStream (testing::stream_node_config), persisted acks,
// this node running the region's materializers or not.
fs::path stream_node_config(const fs::path& dir, bool materialize) {
  return testing::stream_node_config(dir, std::string("ack = \"persisted\"\nmaterialize = ") +
                                              (materialize ? "true" : "false") + "\n");
}

// Region cn on a 3-server cluster and one PostgreSQL (control plane and query store), a fleet of
// kCars cars registered and an operator's token; nodes are started by the test.
class StreamFaults : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(cn_.ok()); }

  // Registers the fleet and the operator through the node configured at `config`.
  void register_fleet(const fs::path& config) {
    const testing::CommandResult migrated = cli(config, {"migrate"});
    ASSERT_EQ(migrated.code, 0) << migrated;
    ASSERT_EQ(cli(config, {"sim", "fleet", "--vehicles", std::to_string(kCars), "--region", "cn", "--tokens", tokens_.string()}).code, 0);
    ASSERT_EQ(cli(config, {"user", "add", "ops", "--role", "operator", "--region", "cn"}).code, 0);
    const testing::CommandResult token = cli(config, {"user", "token", "ops"});
    ASSERT_EQ(token.code, 0) << token;
    ops_ = token.out.substr(0, token.out.find('\n'));
  }

  // The fleet streaming at the node on `port` for `seconds`, appending its acks to acked_; it
  // stops on its own.
  testing::FleetgateProcess stream_fleet(uint16_t port, int seconds) {
    return testing::spawn_fleetgate({"sim", "run", "--tokens", tokens_.string(), "--url",
                                     "ws://127.0.0.1:" + std::to_string(port) + "/v1/telemetry/ws", "--rate", "50", "--duration",
                                     std::to_string(seconds), "--window", "4", "--records-per-frame", "10", "--acked",
                                     acked_.string(), "--json"},
                                    dir_ / "sim.log");
  }

  // Whether acks flow again after a fault: the seconds it took (printed), or a failure.
  void expect_acks_pass(const std::string& after) {
    const std::optional<double> took = testing::acks_pass(acked_, testing::acked_now(acked_), kInFlight, kBoundSeconds);
    EXPECT_TRUE(took.has_value()) << "acks do not flow again within " << kBoundSeconds << " s of " << after << "; see " << dir_.path();
    if (took) std::printf("acks flow again %.1f s after %s\n", *took, after.c_str());
  }

  static testing::CommandResult cli(const fs::path& config, std::vector<std::string> args) {
    args.insert(args.begin(), {"-c", config.string()});
    return testing::run_fleetgate(std::move(args));
  }

  testing::CnStreamRegion cn_;
  store::TestDir dir_;
  const fs::path tokens_ = dir_ / "cars.tokens";
  const fs::path acked_ = dir_ / "acked.txt";
  std::string ops_;
};

// Gives the node configured at `config` the keyring the first node (data dir under `from`)
// created: a region's nodes seal and open blocks with the same keys.
void provision_keyring(const fs::path& from, const fs::path& to) {
  fs::create_directories(to / "data" / "cn");
  fs::copy_file(from / "data" / "cn" / "privacy.keyring", to / "data" / "cn" / "privacy.keyring");
}

// SIGKILLs a materializing node holding blocks it fetched and not acked. A kill at a random moment
// often finds a materializer between batches, with nothing fetched: so the node is frozen
// (SIGSTOP) for a second first, during which its waiting fetches are filled and nothing is
// committed, as in a node that stalls and then dies.
void kill_holding_blocks(testing::Serve& node) {
  ASSERT_EQ(kill(node.process.pid, SIGSTOP), 0);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  testing::stop_serve(node, SIGKILL);
}

// Node A takes the cars' frames and does not materialize, so a materializer's death is all that
// stalls its persisted acks (and A stays up to count them); B and C run the materializers, sharing
// each shard's durable consumer. B is SIGKILLed holding fetched blocks: C gets them after
// ack_wait. Then C is SIGKILLed too, and B restarted: B's materializers take over C's blocks.
TEST_F(StreamFaults, AMaterializerKilledUnderTheFleetLosesNoAcknowledgedRecord) {
  const fs::path a = stream_node_config(dir_ / "a", false), b = stream_node_config(dir_ / "b", true),
                 c = stream_node_config(dir_ / "c", true);
  ASSERT_NO_FATAL_FAILURE(register_fleet(a));
  testing::Serve node_a = testing::start_serve(a, 0, dir_ / "a.log");
  ASSERT_GT(node_a.port, 0);
  provision_keyring(dir_ / "a", dir_ / "b");
  provision_keyring(dir_ / "a", dir_ / "c");
  testing::Serve node_b = testing::start_serve(b, 0, dir_ / "b.log");
  testing::Serve node_c = testing::start_serve(c, 0, dir_ / "c.log");
  ASSERT_GT(node_b.port, 0);
  ASSERT_GT(node_c.port, 0);

  testing::FleetgateProcess sim = stream_fleet(node_a.port, kStreamSeconds);
  ASSERT_TRUE(testing::acks_pass(acked_, 0, kInFlight, 30)) << "the fleet's acks do not flow within 30 s; see " << dir_.path();

  ASSERT_NO_FATAL_FAILURE(kill_holding_blocks(node_b));
  expect_acks_pass("the death of one of two materializing nodes");
  ASSERT_NO_FATAL_FAILURE(kill_holding_blocks(node_c));
  testing::Serve restarted = testing::start_serve(b, 0, dir_ / "b.log");
  ASSERT_GT(restarted.port, 0);
  expect_acks_pass("the last materializing node's death and another's restart");
  EXPECT_TRUE(testing::exited_zero(testing::wait_for(sim))) << "see " << dir_ / "sim.log";

  const testing::AckedLog log = testing::read_acked_log(acked_);
  ASSERT_EQ(log.seqs.size(), static_cast<size_t>(kCars));
  testing::expect_acked_stored_once(node_a.port, ops_, log);
  testing::stop_serve(restarted);
  testing::stop_serve(node_a);
}

// One node ingests and materializes. The region's PostgreSQL is stopped under the fleet, first
// with a fast shutdown (sessions ended), then with an immediate one (killed, recovered from its
// WAL at the restart), and started again after a few seconds each time on its data and port.
TEST_F(StreamFaults, ThePostgresRestartedUnderTheFleetLosesNoAcknowledgedRecord) {
  const fs::path config = stream_node_config(dir_ / "n", true);
  ASSERT_NO_FATAL_FAILURE(register_fleet(config));
  testing::Serve node = testing::start_serve(config, 0, dir_ / "n.log");
  ASSERT_GT(node.port, 0);

  testing::FleetgateProcess sim = stream_fleet(node.port, kStreamSeconds);
  ASSERT_TRUE(testing::acks_pass(acked_, 0, kInFlight, 30)) << "the fleet's acks do not flow within 30 s; see " << dir_.path();

  for (const auto mode : {testing::PgServer::Shutdown::kFast, testing::PgServer::Shutdown::kImmediate}) {
    const std::string how = mode == testing::PgServer::Shutdown::kFast ? "fast" : "immediate";
    ASSERT_TRUE(cn_.pg.stop(mode));
    std::this_thread::sleep_for(std::chrono::seconds(3));  // the node's writes and reads fail meanwhile
    ASSERT_TRUE(cn_.pg.start());
    expect_acks_pass("a restart of the region's PostgreSQL (" + how + " shutdown)");
  }
  EXPECT_TRUE(testing::exited_zero(testing::wait_for(sim))) << "see " << dir_ / "sim.log";

  const testing::AckedLog log = testing::read_acked_log(acked_);
  ASSERT_EQ(log.seqs.size(), static_cast<size_t>(kCars));
  testing::expect_acked_stored_once(node.port, ops_, log);
  testing::stop_serve(node);
}

}  // namespace
}  // namespace fleetgate
