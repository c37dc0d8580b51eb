// Faults on the PostgreSQL control plane, with the real `fleetgate serve` and a real PostgreSQL on
// loopback: a node SIGKILLed while writes are in flight leaves nothing half-written, and nodes
// ride out a restart of the database, saying so on /readyz. In both, every change acknowledged
// with a 2xx is stored afterwards and the audit chain verifies.
#include <gtest/gtest.h>

#include <signal.h>

#include <boost/json/parse.hpp>
#include <boost/json/value_to.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "fleetgate/http/test_client.h"
#include "fleetgate/store/test_dir.h"
#include "support/fleetgate_process.h"
#include "support/pg_node.h"
#include "support/pg_server.h"

namespace fleetgate {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using http::testing::ClientResponse;
using http::testing::HeaderList;
using http::testing::TestClient;
using testing::CommandResult;

// VIN number n of this test's series: a European maker's WMI (no mandatory check digit).
std::string test_vin(int n) {
  char vin[18];
  std::snprintf(vin, sizeof vin, "WVWZZZ1KZNW%06d", n);
  return vin;
}

CommandResult cli(const fs::path& config, std::vector<std::string> args) {
  args.insert(args.begin(), {"-c", config.string()});
  return testing::run_fleetgate(std::move(args));
}

// Migrates the control database and adds an operator for every region; the operator's token.
std::string prepare_control_database(const fs::path& config) {
  const CommandResult migrated = cli(config, {"migrate"});
  EXPECT_EQ(migrated.code, 0) << migrated;
  EXPECT_EQ(cli(config, {"user", "add", "ops", "--role", "operator", "--region", "*"}).code, 0);
  const CommandResult token = cli(config, {"user", "token", "ops"});
  EXPECT_EQ(token.code, 0) << token;
  return token.out.substr(0, token.out.find('\n'));
}

// What the writers were told.
struct Outcomes {
  std::set<std::string> registered;           // 201 to POST /v1/vehicles
  std::map<std::string, std::string> tokens;  // 201 to POST /v1/vehicles/{vin}/token: VIN -> token
  std::map<unsigned, int> statuses;           // how often each HTTP status came; 0: no answer
};

// Client threads writing over HTTP until finish() (at most kRounds each): thread t registers
// VINs t * 100000 + i on node ports[t % ports.size()] and issues a token for each one it
// registered. After a failure a thread pauses 20 ms, so an outage does not use up its rounds.
class Writers {
 public:
  static constexpr int kRounds = 3000;

  Writers(std::vector<uint16_t> ports, std::string token, int threads) : ports_(std::move(ports)), token_(std::move(token)) {
    for (int t = 0; t < threads; ++t) threads_.emplace_back([this, t] { write(t); });
  }
  ~Writers() { finish(); }

  size_t registered() {
    std::lock_guard lock(mu_);
    return outcomes_.registered.size();
  }

  // Waits until `n` registrations were acknowledged in all (checking every 20 ms, 1500 times at
  // most); false when they were not.
  bool wait_for_registered(size_t n) {
    for (int i = 0; i < 1500; ++i) {
      if (registered() >= n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  // Stops the threads and waits for them; what they were told.
  const Outcomes& finish() {
    stop_ = true;
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
    return outcomes_;
  }

 private:
  void write(int t) {
    TestClient client("127.0.0.1", ports_[static_cast<size_t>(t) % ports_.size()]);
    const HeaderList auth = {{"Authorization", "Bearer " + token_}};
    for (int i = 0; i < kRounds && !stop_; ++i) {
      const std::string vin = test_vin(t * 100000 + i);
      const unsigned registered = send(client, "/v1/vehicles", R"({"vin":")" + vin + R"(","market":"DE"})", auth, nullptr);
      unsigned issued = 0;
      json::object token;
      if (registered == 201) issued = send(client, "/v1/vehicles/" + vin + "/token", "", auth, &token);
      {
        std::lock_guard lock(mu_);
        if (registered == 201) outcomes_.registered.insert(vin);
        if (issued == 201) outcomes_.tokens[vin] = json::value_to<std::string>(token.at("token"));
      }
      if (registered != 201 || issued != 201) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  // POSTs `body` to `target`; the status (0: no answer), the body's JSON object into `out`.
  unsigned send(TestClient& client, const std::string& target, std::string body, const HeaderList& headers,
                json::object* out) {
    auto r = client.post(target, std::move(body), headers);
    const unsigned status = r.is_ok() ? r->status : 0;
    if (!r.is_ok()) client.close();
    if (out != nullptr && r.is_ok()) {
      boost::system::error_code ec;
      json::value v = json::parse(r->body, ec);
      if (!ec && v.is_object()) *out = v.get_object();
    }
    std::lock_guard lock(mu_);
    ++outcomes_.statuses[status];
    return status;
  }

  const std::vector<uint16_t> ports_;
  const std::string token_;
  std::atomic<bool> stop_ = false;
  std::mutex mu_;
  Outcomes outcomes_;
  std::vector<std::thread> threads_;
};

// What the control database holds, read through the CLI.
struct Stored {
  std::set<std::string> vehicles;          // registered VINs
  std::set<std::string> register_entries;  // subjects of the chain's vehicle.register entries
  std::set<std::string> token_entries;     // subjects of its vehicle.token.issue entries
};

Stored read_stored(const fs::path& config) {
  Stored s;
  std::string cursor;
  for (int page = 0; page < 100; ++page) {
    std::vector<std::string> args = {"fleet", "list", "--region", "eu", "--limit", "1000", "--json"};
    if (!cursor.empty()) args.insert(args.end(), {"--cursor", cursor});
    const CommandResult listed = cli(config, args);
    EXPECT_EQ(listed.code, 0) << listed;
    if (listed.code != 0) break;
    const json::value page_json = json::parse(listed.out);
    const json::object& o = page_json.as_object();
    for (const auto& v : o.at("vehicles").as_array()) s.vehicles.insert(json::value_to<std::string>(v.at("vin")));
    cursor = json::value_to<std::string>(o.at("next_cursor"));
    if (cursor.empty()) break;
  }
  const CommandResult tail = cli(config, {"audit", "tail", "-n", "1000000", "--json"});
  EXPECT_EQ(tail.code, 0) << tail;
  if (tail.code != 0) return s;
  const json::value entries = json::parse(tail.out);
  for (const auto& e : entries.as_array()) {
    const std::string action = json::value_to<std::string>(e.at("action"));
    const std::string subject = json::value_to<std::string>(e.at("subject"));
    if (action == "vehicle.register") s.register_entries.insert(subject);
    if (action == "vehicle.token.issue") s.token_entries.insert(subject);
  }
  return s;
}

// The audit chain verifies, every acknowledged change is stored, and none is stored without its
// audit entry or the other way round.
void expect_intact(const fs::path& config, const Outcomes& told) {
  const CommandResult verified = cli(config, {"audit", "verify"});
  EXPECT_EQ(verified.code, 0) << verified;
  EXPECT_NE(verified.out.find("audit chain intact"), std::string::npos) << verified;
  const Stored stored = read_stored(config);
  for (const std::string& vin : told.registered) EXPECT_TRUE(stored.vehicles.contains(vin)) << vin << " was acknowledged";
  EXPECT_EQ(stored.vehicles, stored.register_entries) << "vehicles stored without their audit entry, or the reverse";
  for (const auto& [vin, token] : told.tokens) EXPECT_TRUE(stored.token_entries.contains(vin)) << vin;
  EXPECT_GE(stored.vehicles.size(), told.registered.size());
}

// Every acknowledged vehicle token works on the node at `port`: its vehicle reads its own record.
void expect_tokens_work(uint16_t port, const Outcomes& told) {
  TestClient client("127.0.0.1", port);
  for (const auto& [vin, token] : told.tokens) {
    auto r = client.get("/v1/vehicles/" + vin, {{"Authorization", "Bearer " + token}});
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_EQ(r->status, 200u) << vin << ": " << r->body;
  }
}

// Polls GET /readyz on `port` (every 25 ms, 1200 times at most) until it answers `status`; the
// last answer.
ClientResponse await_readyz(uint16_t port, unsigned status) {
  ClientResponse last;
  for (int i = 0; i < 1200; ++i) {
    TestClient client("127.0.0.1", port);
    auto r = client.get("/readyz");
    if (r.is_ok()) last = *r;
    if (r.is_ok() && r->status == status) return last;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ADD_FAILURE() << "/readyz on port " << port << " never answered " << status << "; last: " << last.status << " "
                << last.body;
  return last;
}

TEST(PostgresFaults, NodeKilledWhileWritingLeavesNothingHalfWritten) {
  testing::PgServer pg;
  ASSERT_FALSE(pg.dsn().empty());
  testing::ControlDsn control(pg.dsn());
  store::TestDir dir;
  const fs::path config = testing::pg_node_config(dir / "a");
  const std::string ops = prepare_control_database(config);
  testing::Serve node = testing::start_serve(config, 0, dir / "a.log");
  ASSERT_GT(node.port, 0);

  Writers writers({node.port}, ops, 4);
  ASSERT_TRUE(writers.wait_for_registered(40));
  testing::stop_serve(node, SIGKILL);  // four writers keep requests in flight: some die mid-transaction
  const Outcomes& told = writers.finish();

  expect_intact(config, told);
  testing::Serve again = testing::start_serve(config, 0, dir / "a.log");
  ASSERT_GT(again.port, 0);
  expect_tokens_work(again.port, told);
  testing::stop_serve(again);
}

TEST(PostgresFaults, NodesRideOutAPostgresRestart) {
  testing::PgServer pg;
  ASSERT_FALSE(pg.dsn().empty());
  testing::ControlDsn control(pg.dsn());
  store::TestDir dir;
  const fs::path a = testing::pg_node_config(dir / "a"), b = testing::pg_node_config(dir / "b");
  const std::string ops = prepare_control_database(a);
  testing::Serve node_a = testing::start_serve(a, 0, dir / "a.log");
  testing::Serve node_b = testing::start_serve(b, 0, dir / "b.log");
  ASSERT_GT(node_a.port, 0);
  ASSERT_GT(node_b.port, 0);
  const std::vector<uint16_t> ports = {node_a.port, node_b.port};
  for (uint16_t port : ports) EXPECT_EQ(await_readyz(port, 200).status, 200u);

  Writers writers(ports, ops, 4);
  ASSERT_TRUE(writers.wait_for_registered(20));
  ASSERT_TRUE(pg.stop());
  for (uint16_t port : ports) {
    const ClientResponse down = await_readyz(port, 503);
    EXPECT_NE(down.body.find(R"("code":"not_ready")"), std::string::npos) << down.body;
    EXPECT_NE(down.body.find("control database"), std::string::npos) << down.body;
    TestClient client("127.0.0.1", port);
    auto write = client.post("/v1/vehicles", R"({"vin":")" + test_vin(600000 + port) + R"(","market":"DE"})",
                             {{"Authorization", "Bearer " + ops}});
    ASSERT_TRUE(write.is_ok()) << write.status().to_string();
    EXPECT_EQ(write->status, 503u) << write->body;
    EXPECT_NE(write->body.find(R"("type":"service_unavailable")"), std::string::npos) << write->body;
  }
  const size_t before_restart = writers.registered();

  ASSERT_TRUE(pg.start());
  for (uint16_t port : ports) {
    EXPECT_EQ(await_readyz(port, 200).status, 200u);
    TestClient client("127.0.0.1", port);
    auto write = client.post("/v1/vehicles", R"({"vin":")" + test_vin(700000 + port) + R"(","market":"DE"})",
                             {{"Authorization", "Bearer " + ops}});
    ASSERT_TRUE(write.is_ok()) << write.status().to_string();
    EXPECT_EQ(write->status, 201u) << "the first write once the database is back: " << write->body;
  }
  EXPECT_TRUE(writers.wait_for_registered(before_restart + 20)) << "writes did not resume";
  const Outcomes& told = writers.finish();
  for (const auto& [status, count] : told.statuses) {
    EXPECT_TRUE(status == 201 || status == 503) << count << " answers with status " << status;
  }

  expect_intact(a, told);
  expect_tokens_work(node_b.port, told);
  testing::stop_serve(node_a);
  testing::stop_serve(node_b);
}

}  // namespace
}  // namespace fleetgate
