// Two `fleetgate serve` nodes of one region whose telemetry is on its own 3-server JetStream
// cluster ([regions.telemetry] log = "jetstream", ack = "persisted") and whose control plane and
// query store are on one PostgreSQL: what cars send through one node is readable through the
// other, a node SIGKILLed while cars stream loses no acknowledged record, and so do the stream
// leader and then a follower SIGKILLed under the fleet, with acks resuming after each.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "fleetgate/http/test_client.h"
#include "fleetgate/store/test_dir.h"
#include "fleetgate/stream/cluster_connection.h"
#include "support/acked_log.h"
#include "support/acked_readback.h"
#include "support/fleetgate_process.h"
#include "support/stream_region.h"

namespace fleetgate {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

TEST(StreamNodes, TwoNodesShareTheRegionsTelemetryAndADeadNodeLosesNoAcknowledgedRecord) {
  testing::CnStreamRegion cn;
  ASSERT_TRUE(cn.ok());
  store::TestDir dir;
  const fs::path a = testing::stream_node_config(dir / "a"), b = testing::stream_node_config(dir / "b");
  auto cli = [](const fs::path& config, std::vector<std::string> args) {
    args.insert(args.begin(), {"-c", config.string()});
    return testing::run_fleetgate(std::move(args));
  };
  const testing::CommandResult migrated = cli(a, {"migrate"});
  ASSERT_EQ(migrated.code, 0) << migrated;
  EXPECT_NE(migrated.out.find("region cn query store at schema version"), std::string::npos) << migrated;

  testing::Serve node_a = testing::start_serve(a, 0, dir / "a.log");
  ASSERT_GT(node_a.port, 0);
  // The nodes of a region seal with the same keys: the keyring is provisioned to each of them.
  fs::create_directories(dir / "b" / "data" / "cn");
  fs::copy_file(dir / "a" / "data" / "cn" / "privacy.keyring", dir / "b" / "data" / "cn" / "privacy.keyring");
  testing::Serve node_b = testing::start_serve(b, 0, dir / "b.log");
  ASSERT_GT(node_b.port, 0);

  const fs::path tokens = dir / "cars.tokens";
  ASSERT_EQ(cli(a, {"sim", "fleet", "--vehicles", "8", "--region", "cn", "--tokens", tokens.string()}).code, 0);
  ASSERT_EQ(cli(b, {"user", "add", "ops", "--role", "operator", "--region", "cn"}).code, 0);
  const testing::CommandResult token = cli(b, {"user", "token", "ops"});
  ASSERT_EQ(token.code, 0) << token;
  const std::string ops = token.out.substr(0, token.out.find('\n'));

  // Cars stream to node A, which is killed once acknowledgements flow.
  const fs::path acked = dir / "acked.txt";
  testing::FleetgateProcess sim = testing::spawn_fleetgate(
      {"sim", "run", "--tokens", tokens.string(), "--url", "ws://127.0.0.1:" + std::to_string(node_a.port) + "/v1/telemetry/ws",
       "--rate", "0", "--duration", "4", "--records-per-frame", "10", "--max-retries", "2", "--acked", acked.string(), "--json"},
      dir / "sim.log");
  ASSERT_TRUE(testing::acks_pass(acked, 0, 0, 60)) << "no acknowledgement within 60 s; see " << dir / "a.log";
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  testing::stop_serve(node_a, SIGKILL);
  testing::wait_for(sim);  // its cars give up on the dead node

  const testing::AckedLog log = testing::read_acked_log(acked);
  ASSERT_GT(log.lines, 0u);
  testing::expect_acked_stored_once(node_b.port, ops, log);

  // A car that reconnects to the surviving node goes on where it stopped.
  const std::string first = log.seqs.begin()->first;
  std::ifstream token_file(tokens);
  std::string car_vin, car_token;
  while (token_file >> car_vin >> car_token && car_vin != first) {
  }
  ASSERT_EQ(car_vin, first);
  const uint64_t next = *log.seqs.begin()->second.rbegin() + 1000;
  json::array frames;
  frames.push_back(json::object{{"vin", first}, {"created_at", json::value(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                                              std::chrono::system_clock::now().time_since_epoch())
                                                                              .count())},
                                {"seq", next}, {"data", json::array{json::object{{"field", "speed"}, {"value", 50}}}}});
  http::testing::TestClient client("127.0.0.1", node_b.port);
  auto posted = client.post("/v1/telemetry", json::serialize(frames), {{"Authorization", "Bearer " + car_token}});
  ASSERT_TRUE(posted.is_ok()) << posted.status().to_string();
  EXPECT_EQ(posted->status, 200u) << posted->body;
  EXPECT_TRUE(testing::stored_seqs(node_b.port, ops, first).contains(next)) << "readable once acknowledged (persisted)";
  testing::stop_serve(node_b);
}

// The index (0..2) of the server that leads `stream` once every replica of it is current (a
// restarted server has caught up), -1 when that does not happen within 30 s.
int leader_of(const std::string& urls, const std::string& stream) {
  auto parsed = stream::parse_urls(urls);
  if (!parsed.is_ok()) return -1;
  auto cluster = stream::ClusterConnection::connect({.region = "cn", .urls = *parsed});
  if (!cluster.is_ok()) return -1;
  for (int i = 0; i < 300; ++i) {
    jsStreamInfo* si = nullptr;
    int leader = -1;
    if (js_GetStreamInfo(&si, (*cluster)->js(), stream.c_str(), nullptr, nullptr) == NATS_OK) {
      const jsClusterInfo* c = si->Cluster;
      const std::string name = c != nullptr && c->Leader != nullptr ? c->Leader : "";
      bool current = c != nullptr && c->ReplicasLen == 2;
      for (int r = 0; current && r < c->ReplicasLen; ++r) current = c->Replicas[r]->Current && !c->Replicas[r]->Offline;
      if (current && name.starts_with("cn-")) leader = name.back() - '0';  // servers are named <region>-<n>
      jsStreamInfo_Destroy(si);
    }
    if (leader >= 0) return leader;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return -1;
}

TEST(StreamNodes, AStreamLeaderAndThenAFollowerKilledUnderTheFleetLoseNoAcknowledgedRecord) {
  testing::CnStreamRegion cn;
  ASSERT_TRUE(cn.ok());
  store::TestDir dir;
  const fs::path config = testing::stream_node_config(dir / "n");
  auto cli = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"-c", config.string()});
    return testing::run_fleetgate(std::move(args));
  };
  ASSERT_EQ(cli({"migrate"}).code, 0);
  testing::Serve node = testing::start_serve(config, 0, dir / "n.log");
  ASSERT_GT(node.port, 0);
  const fs::path tokens = dir / "cars.tokens";
  ASSERT_EQ(cli({"sim", "fleet", "--vehicles", "64", "--region", "cn", "--tokens", tokens.string()}).code, 0);
  ASSERT_EQ(cli({"user", "add", "ops", "--role", "operator", "--region", "cn"}).code, 0);
  const testing::CommandResult token = cli({"user", "token", "ops"});
  ASSERT_EQ(token.code, 0) << token;
  const std::string ops = token.out.substr(0, token.out.find('\n'));

  const fs::path acked = dir / "acked.txt";
  testing::FleetgateProcess sim = testing::spawn_fleetgate(
      {"sim", "run", "--tokens", tokens.string(), "--url", "ws://127.0.0.1:" + std::to_string(node.port) + "/v1/telemetry/ws",
       "--rate", "50", "--duration", "40", "--records-per-frame", "10", "--acked", acked.string(), "--json"},
      dir / "sim.log");
  ASSERT_TRUE(testing::acks_pass(acked, 0, 0, 60)) << "no acknowledgement within 60 s; see " << dir / "n.log";

  // The leader of a stream, then (once it is back) one of that stream's followers.
  const int leader = leader_of(cn.cluster.urls(), "TELEMETRY_CN_0");
  ASSERT_GE(leader, 0);
  ASSERT_TRUE(cn.cluster.kill(leader));
  const auto after_leader = testing::acks_pass(acked, testing::acked_now(acked), 0, 10);
  EXPECT_TRUE(after_leader) << "acks resume within 10 s of the leader's death";
  ASSERT_TRUE(cn.cluster.start_one(leader));
  const int new_leader = leader_of(cn.cluster.urls(), "TELEMETRY_CN_0");
  ASSERT_GE(new_leader, 0);
  const int follower = new_leader == leader ? (leader + 1) % 3 : 3 - leader - new_leader;
  ASSERT_TRUE(cn.cluster.kill(follower));
  // Not 10 s as after the leader: the follower may lead the materializers' consumer of a shard,
  // whose acks then wait for a new consumer leader and for the redelivery of what was acked to
  // the dead one (ack_wait 5 s). Under a loaded machine that took longer than 10 s (README).
  const auto after_follower = testing::acks_pass(acked, testing::acked_now(acked), 0, 30);
  EXPECT_TRUE(after_follower) << "acks resume within 30 s of a follower's death";
  std::cout << "acks resumed " << after_leader.value_or(-1) << " s after the leader's death and "
            << after_follower.value_or(-1) << " s after the follower's\n";
  ASSERT_TRUE(cn.cluster.start_one(follower));
  testing::wait_for(sim);

  const testing::AckedLog log = testing::read_acked_log(acked);
  ASSERT_EQ(log.seqs.size(), 64u);
  testing::expect_acked_stored_once(node.port, ops, log);
  testing::stop_serve(node);
}

}  // namespace
}  // namespace fleetgate
