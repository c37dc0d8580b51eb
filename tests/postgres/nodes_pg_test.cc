// Two `fleetgate serve` processes (two nodes) sharing one control database on a real PostgreSQL:
// what the CLI changes through one node holds on the other's HTTP API from the next request on.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "fleetgate/http/test_client.h"
#include "fleetgate/store/test_dir.h"
#include "support/fleetgate_process.h"
#include "support/pg_node.h"
#include "support/pg_server.h"

namespace fleetgate {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;

constexpr char kEuVin[] = "LRW3E7EA8PC390117";

int http_status(uint16_t port, const std::string& path, const std::string& token) {
  http::testing::TestClient client("127.0.0.1", port);
  auto r = client.get(path, {{"Authorization", "Bearer " + token}});
  EXPECT_TRUE(r.is_ok()) << r.status().to_string();
  return r.is_ok() ? static_cast<int>(r->status) : -1;
}

TEST(PostgresNodes, ChangesThroughOneNodeHoldOnTheOtherAtOnce) {
  testing::PgServer pg;
  ASSERT_FALSE(pg.dsn().empty());
  testing::ControlDsn control(pg.dsn());
  store::TestDir dir;
  const fs::path a = testing::pg_node_config(dir / "a"), b = testing::pg_node_config(dir / "b");
  auto cli = [](const fs::path& config, std::vector<std::string> args) {
    args.insert(args.begin(), {"-c", config.string()});
    return testing::run_fleetgate(std::move(args));
  };

  const CommandResult unmigrated = cli(a, {"user", "list"});
  EXPECT_EQ(unmigrated.code, 1) << unmigrated;
  EXPECT_NE(unmigrated.err.find("run `fleetgate migrate`"), std::string::npos) << unmigrated;
  const CommandResult migrated = cli(a, {"migrate"});
  ASSERT_EQ(migrated.code, 0) << migrated;
  EXPECT_EQ(migrated.out, "control database at schema version 1\n");

  testing::Serve node_a = testing::start_serve(a, 0, dir / "a.log");
  testing::Serve node_b = testing::start_serve(b, 0, dir / "b.log");
  ASSERT_GT(node_a.port, 0);
  ASSERT_GT(node_b.port, 0);

  ASSERT_EQ(cli(a, {"fleet", "import", FLEETGATE_SOURCE_DIR "/config/demo-fleet.csv"}).code, 0);
  ASSERT_EQ(cli(a, {"user", "add", "ops", "--role", "operator", "--region", "*"}).code, 0);
  const CommandResult token = cli(a, {"user", "token", "ops"});
  ASSERT_EQ(token.code, 0) << token;
  const std::string ops = token.out.substr(0, token.out.find('\n'));
  EXPECT_EQ(http_status(node_b.port, std::string("/v1/vehicles/") + kEuVin, ops), 200) << "B sees what A registered";
  EXPECT_EQ(http_status(node_b.port, std::string("/v1/directory/") + kEuVin, ops), 200) << "and finds it in the directory";

  ASSERT_EQ(cli(b, {"user", "revoke", "ops"}).code, 0);
  EXPECT_EQ(http_status(node_a.port, std::string("/v1/vehicles/") + kEuVin, ops), 401) << "A refuses what B revoked";

  const CommandResult verified = cli(b, {"audit", "verify"});
  EXPECT_EQ(verified.code, 0) << verified;
  // The demo fleet's 31 registrations, the user's 3 changes, and the AI label rules in force,
  // which the first of the two nodes to start recorded and the other found recorded.
  EXPECT_NE(verified.out.find("audit chain intact: 35 entries"), std::string::npos) << verified;
  testing::stop_serve(node_a);
  testing::stop_serve(node_b);
}

}  // namespace
}  // namespace fleetgate
