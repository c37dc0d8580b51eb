// The CLI while `serve` runs (README "Operating a running service"): admin commands reach the
// running service over its admin socket, act on the objects its routes use, resolve relative paths
// from the caller's folder, and answer with the same output and exit codes as without a service.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "fleetgate/http/test_client.h"
#include "fleetgate/store/embedded_store.h"
#include "fleetgate/store/test_dir.h"
#include "support/fleetgate_process.h"
#include "support/scratch_config.h"
#include "support/test_backend.h"

namespace fleetgate {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;

constexpr char kEuVin[] = "LRW3E7EA8PC390117";  // config/demo-fleet.csv: a Shanghai-built car sold in Germany

// A scratch deployment: the shipped config and ledger terms with their data under one folder, the
// demo fleet imported, and a folder to run commands from.
class AdminSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = testing::write_scratch_config(dir_.path());
    fs::copy_file(fs::path(FLEETGATE_SOURCE_DIR) / "config" / "ledger.toml", dir_ / "ledger.toml");
    fs::create_directories(work_);
    ASSERT_EQ(run({"fleet", "import", FLEETGATE_SOURCE_DIR "/config/demo-fleet.csv"}).code, 0);
  }

  CommandResult run(std::vector<std::string> args) {
    args.insert(args.begin(), {"-c", config_.string()});
    return testing::run_fleetgate(std::move(args), work_);
  }

  testing::Serve serve() { return testing::start_serve(config_, 0, dir_ / "serve.log"); }

  int http_status(uint16_t port, const std::string& path, const std::string& token) {
    http::testing::TestClient client("127.0.0.1", port);
    auto r = client.get(path, {{"Authorization", "Bearer " + token}});
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    return r.is_ok() ? static_cast<int>(r->status) : -1;
  }

  store::TestDir dir_;
  fs::path config_;
  fs::path work_ = dir_ / "work";
};

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

TEST_F(AdminSocketTest, AdminCommandsActOnTheRunningServiceAtOnce) {
  testing::Serve server = serve();
  ASSERT_GT(server.port, 0);

  // A user added and a token issued through the service work on its HTTP API at once, and a
  // revocation holds from the next request on.
  CommandResult added = run({"user", "add", "alice", "--role", "operator", "--region", "eu"});
  ASSERT_EQ(added.code, 0) << added;
  EXPECT_EQ(added.out, "added alice: roles operator in eu\n");
  const CommandResult token = run({"user", "token", "alice"});
  ASSERT_EQ(token.code, 0) << token;
  const std::string alice = first_line(token.out);
  EXPECT_EQ(http_status(server.port, std::string("/v1/vehicles/") + kEuVin, alice), 200);
  ASSERT_EQ(run({"user", "revoke", "alice"}).code, 0);
  EXPECT_EQ(http_status(server.port, std::string("/v1/vehicles/") + kEuVin, alice), 401);

  const CommandResult car = run({"fleet", "token", kEuVin});
  ASSERT_EQ(car.code, 0) << car;
  EXPECT_EQ(http_status(server.port, std::string("/v1/vehicles/") + kEuVin, first_line(car.out)), 200);

  // Relative paths are the caller's: the certificate and the statements land in its folder, the
  // revenue file is read from there.
  const CommandResult cert = run({"fleet", "cert", kEuVin, "--out", "certs"});
  ASSERT_EQ(cert.code, 0) << cert;
  EXPECT_EQ(first_line(cert.out), std::string("wrote certs/") + kEuVin + ".crt and certs/" + kEuVin + ".key (mode 0600)");
  EXPECT_TRUE(fs::exists(work_ / "certs" / (std::string(kEuVin) + ".key")));
  std::ofstream(work_ / "revenue.csv") << "id,time,type,feature,market,currency,amount\n"
                                          "s-1,2026-11-03T10:00:00Z,subscription,fsd,US,USD,99.00\n";
  const CommandResult imported = run({"ledger", "revenue", "import", "revenue.csv"});
  ASSERT_EQ(imported.code, 0) << imported;
  EXPECT_EQ(imported.out, "imported 1 revenue events (0 already recorded, 0 late for a closed period)\n");
  const CommandResult settled = run({"ledger", "settle", "--period", "2026-11", "--out", "statements"});
  ASSERT_EQ(settled.code, 0) << settled;
  EXPECT_TRUE(fs::exists(work_ / "statements" / "2026-11-xai.json")) << settled;

  // Every change above is in one intact chain, audited as the calling account.
  const CommandResult verified = run({"audit", "verify"});
  EXPECT_EQ(verified.code, 0) << verified;
  const CommandResult tail = run({"audit", "tail", "-n", "1", "--json"});
  ASSERT_EQ(tail.code, 0) << tail;
  const boost::json::value last = boost::json::parse(tail.out).as_array().at(0);
  EXPECT_EQ(last.at("action"), "ledger.revenue.import");
  EXPECT_EQ(last.at("actor").as_string().subview().substr(0, 4), "cli:");

  const std::string log = [&] {
    testing::stop_serve(server);
    std::ifstream in(dir_ / "serve.log");
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }();
  EXPECT_NE(log.find("admin command by cli:"), std::string::npos) << "serve logs the commands it ran";
  EXPECT_NE(log.find("user revoke alice (exit 0)"), std::string::npos) << log;
}

TEST_F(AdminSocketTest, OutputAndExitCodesAreTheSameWithAndWithoutAService) {
  ASSERT_EQ(run({"user", "add", "bob", "--role", "auditor", "--region", "*"}).code, 0);
  const std::vector<std::vector<std::string>> commands = {
      {"fleet", "show", kEuVin},
      {"fleet", "list", "--region", "eu", "--limit", "3"},
      {"fleet", "show", "1M8GDM9AXKP042788"},  // not registered: exit 1
      {"user", "list"},
      {"telemetry", "query", kEuVin, "--as-region", "us"},  // another region: refused
      {"transfer", "show", "no-such-transfer"},
      {"ledger", "statement", "--period", "2026-13", "--partner", "xai"},  // bad period
      {"train", "datasets", "--region", "mars"},
  };
  std::vector<CommandResult> served;
  {
    testing::Serve server = serve();
    ASSERT_GT(server.port, 0);
    for (const auto& c : commands) served.push_back(run(c));
    testing::stop_serve(server);
  }
  for (size_t i = 0; i < commands.size(); ++i) {
    EXPECT_EQ(served[i], run(commands[i])) << "fleetgate " << commands[i][0] << " " << commands[i][1];
  }
  EXPECT_EQ(first_line(served[0].out), kEuVin);
  EXPECT_EQ(served[2].code, 1);
  EXPECT_NE(served[4].code, 0);
}

// `serve` removes its socket when it stops; one left by a killed service does not stand in the
// CLI's way, and a data dir held by a process that does not answer still exits 69.
TEST_F(AdminSocketTest, AStaleSocketFallsBackToTheDataDirs) {
  const fs::path socket = dir_ / "data" / "admin.sock";
  {
    testing::Serve server = serve();
    ASSERT_GT(server.port, 0);
    struct stat st {};
    ASSERT_EQ(stat(socket.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0600u) << "only the service's account may connect";
    testing::stop_serve(server);
    EXPECT_FALSE(fs::exists(socket));
  }
  {
    testing::Serve server = serve();
    ASSERT_GT(server.port, 0);
    testing::stop_serve(server, SIGKILL);
    EXPECT_TRUE(fs::exists(socket)) << "a killed service leaves its socket";
  }
  const CommandResult listed = run({"user", "list"});
  EXPECT_EQ(listed.code, 0) << listed;

  // `command` exits 69 while another process holds `store`.
  auto blocked_while_held = [&](const fs::path& store, const std::vector<std::string>& command) {
    auto held = store::open_embedded(store);
    ASSERT_TRUE(held.is_ok()) << held.status().to_string();
    const CommandResult blocked = run(command);
    EXPECT_EQ(blocked.code, 69) << blocked;
    EXPECT_NE(blocked.err.find("is in use by another fleetgate process"), std::string::npos) << blocked;
  };
  // Only the embedded mode keeps stores in the data dir; the distributed one keeps the control
  // plane and the regions' data in databases that any number of processes share.
  if (!testing::suite_on_postgres()) {
    blocked_while_held(dir_ / "data" / "eu" / "store", {"telemetry", "query", kEuVin, "--as-region", "eu"});
    blocked_while_held(dir_ / "data" / "control", {"user", "list"});
  }
}

// One service per data dir, in both modes (the distributed one keeps no store there to lock it):
// a second `serve` on it exits 69 and leaves the first one's socket alone.
TEST_F(AdminSocketTest, ASecondServiceOnTheSameDataDirIsRefused) {
  testing::Serve server = serve();
  ASSERT_GT(server.port, 0);
  const CommandResult second = run({"serve", "--port", "0"});
  EXPECT_EQ(second.code, 69) << second;
  EXPECT_NE(second.err.find("is in use by another fleetgate process"), std::string::npos) << second;
  const CommandResult listed = run({"fleet", "list"});
  EXPECT_EQ(listed.code, 0) << listed;
  EXPECT_NE(listed.out.find(kEuVin), std::string::npos) << "the first service still answers on its socket";
  testing::stop_serve(server);
}

// Only the service's own account and root may hand it commands: a socket opened up by mistake
// still refuses other accounts (SO_PEERCRED), with exit 77.
TEST_F(AdminSocketTest, OtherAccountsAreRefused) {
  if (geteuid() != 0) GTEST_SKIP() << "acting as another account needs root";
  testing::Serve server = serve();
  ASSERT_GT(server.port, 0);
  const fs::path socket = dir_ / "data" / "admin.sock";
  fs::permissions(socket, fs::perms::all);
  fs::permissions(dir_.path(), fs::perms::all);
  fs::permissions(dir_ / "data", fs::perms::all);
  fs::permissions(config_, fs::perms::all);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // nobody: no access to the stores, so only the socket could serve it.
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(100);
    const std::string config = config_.string();
    execl(testing::kFleetgateBinary.c_str(), "fleetgate", "-c", config.c_str(), "user", "list", static_cast<char*>(nullptr));
    _exit(101);
  }
  int wstatus = 0;
  ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
  ASSERT_TRUE(WIFEXITED(wstatus));
  EXPECT_EQ(WEXITSTATUS(wstatus), 77);
  testing::stop_serve(server);
}

}  // namespace
}  // namespace fleetgate
