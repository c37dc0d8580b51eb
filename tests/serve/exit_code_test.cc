// The documented exit codes of the real `fleetgate` binary (README "Exit codes") and what `serve`
// does on SIGHUP (reloads, see reload_test.cc): distinct codes for usage errors, unavailable resources and integrity failures.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include "fleetgate/http/test_client.h"
#include "fleetgate/store/embedded_store.h"
#include "fleetgate/store/test_dir.h"
#include "support/fleetgate_process.h"
#include "support/scratch_config.h"
#include "support/test_backend.h"

namespace fleetgate {
namespace {

namespace fs = std::filesystem;

// Runs `fleetgate ARGS...` to the end; its exit code (-1 when it did not exit normally).
int exit_code(std::vector<std::string> args, std::string* stdout_text = nullptr) {
  testing::FleetgateProcess p = testing::spawn_fleetgate(std::move(args));
  const std::string out = testing::read_output(p);
  if (stdout_text != nullptr) *stdout_text = out;
  const int wstatus = testing::wait_for(p);
  return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
}

std::string text_of(const fs::path& file) {
  std::ifstream in(file);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(ExitCodes, EveryCommandLineParseErrorExits2) {
  EXPECT_EQ(exit_code({"--no-such-option"}), 2);
  EXPECT_EQ(exit_code({"ledger", "settle"}), 2) << "missing --period";
  EXPECT_EQ(exit_code({"serve", "--port", "70000"}), 2) << "out of range";
  EXPECT_EQ(exit_code({"--help"}), 0);
}

TEST(ExitCodes, ADataDirInUseExits69AndATamperedAuditChain65) {
  store::TestDir dir;
  const fs::path config = testing::write_scratch_config(dir.path());
  const std::string c = config.string();
  ASSERT_EQ(exit_code({"-c", c, "user", "add", "alice", "--role", "operator", "--region", "cn"}), 0);

  // A process that holds the data dir without serving it (a running service would run the
  // command instead: admin_socket_test). Only the embedded mode keeps stores there: in the
  // distributed one the control plane and the regions' data are in their databases, which any
  // number of processes share.
  if (!testing::suite_on_postgres()) {
    auto held = store::open_embedded(dir / "data" / "eu" / "store");
    ASSERT_TRUE(held.is_ok()) << held.status().to_string();
    EXPECT_EQ(exit_code({"-c", c, "telemetry", "query", "LRW3E7EA8PC390117", "--as-region", "eu"}), 69)
        << "another process holds the region's store";
  }
  if (!testing::suite_on_postgres()) {
    auto held = store::open_embedded(dir / "data" / "control");
    ASSERT_TRUE(held.is_ok()) << held.status().to_string();
    EXPECT_EQ(exit_code({"-c", c, "user", "list"}), 69) << "another process holds the control store";
  }

  EXPECT_EQ(exit_code({"-c", c, "audit", "verify"}), 0);
  {
    auto control = testing::open_control_store(config, dir / "data");
    ASSERT_TRUE(control.is_ok()) << control.status().to_string();
    ASSERT_TRUE((*control)->remove("audit/head").is_ok());
  }
  EXPECT_EQ(exit_code({"-c", c, "audit", "verify"}), 65) << "a deleted head record is an integrity failure";
}

// The README's `fleet ca --out data/tls/fleet-ca.crt` runs on a fresh data dir, where data/tls/
// does not exist yet.
TEST(ExitCodes, FleetCaCreatesTheFolderItWritesInto) {
  store::TestDir dir;
  const fs::path config = testing::write_scratch_config(dir.path());
  const fs::path out = dir / "data" / "tls" / "fleet-ca.crt";
  EXPECT_EQ(exit_code({"-c", config.string(), "fleet", "ca", "--out", out.string()}), 0);
  EXPECT_NE(text_of(out).find("BEGIN CERTIFICATE"), std::string::npos);
}

// `config check` reads ledger.toml beside the config: a served model without a price is refused,
// since its usage would settle as unpriced work.
TEST(ExitCodes, ConfigCheckRefusesAServedModelTheLedgerDoesNotPrice) {
  store::TestDir dir;
  const fs::path shipped = fs::path(FLEETGATE_SOURCE_DIR) / "config";
  fs::copy_file(shipped / "fleetgate.toml", dir / "fleetgate.toml");
  std::string out;
  EXPECT_EQ(exit_code({"config", "check", (dir / "fleetgate.toml").string()}, &out), 0) << "no ledger.toml: not checked";
  EXPECT_EQ(out.find("ledger.toml"), std::string::npos) << out;

  fs::copy_file(shipped / "ledger.toml", dir / "ledger.toml");
  EXPECT_EQ(exit_code({"config", "check", (dir / "fleetgate.toml").string()}, &out), 0) << "the shipped pair";
  EXPECT_NE(out.find("every served model is priced"), std::string::npos) << out;

  std::string terms = text_of(dir / "ledger.toml");
  const std::string priced = "provider = \"xai-us\"\nmodel = \"grok-3-mini\"";
  ASSERT_NE(terms.find(priced), std::string::npos);
  terms.replace(terms.find(priced), priced.size(), "provider = \"xai-us\"\nmodel = \"grok-2\"");
  std::ofstream(dir / "ledger.toml") << terms;
  EXPECT_EQ(exit_code({"config", "check", (dir / "fleetgate.toml").string()}), 1);
}

// `config check` refuses an [assistant.tool_functions] pin to something that is not a vehicle
// function, and lists the pins it accepts.
TEST(ExitCodes, ConfigCheckRefusesAToolPinToNoVehicleFunction) {
  store::TestDir dir;
  const std::string shipped = text_of(fs::path(FLEETGATE_SOURCE_DIR) / "config" / "fleetgate.toml");
  const fs::path config = dir / "fleetgate.toml";
  std::ofstream(config) << shipped << "\n[assistant.tool_functions]\n\"acme_hatch\" = \"trunk\"\n";
  std::string out;
  EXPECT_EQ(exit_code({"config", "check", config.string()}, &out), 0);
  EXPECT_NE(out.find("tool acme_hatch -> trunk"), std::string::npos) << out;
  std::ofstream(config) << shipped << "\n[assistant.tool_functions]\n\"acme_hatch\" = \"hatch\"\n";
  EXPECT_EQ(exit_code({"config", "check", config.string()}), 1);
}

TEST(ExitCodes, ServeReloadsOnSighupAndGoesOnServing) {
  store::TestDir dir;
  const fs::path config = testing::write_scratch_config(dir.path());
  const fs::path log = dir / "serve.log";
  testing::Serve server = testing::start_serve(config, 0, log);
  ASSERT_GT(server.port, 0);

  kill(server.process.pid, SIGHUP);  // killed serve at once, without a word, before SIGHUP reloaded
  for (int i = 0; i < 600 && text_of(log).find("reload: nothing changed") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_NE(text_of(log).find("reload: nothing changed"), std::string::npos) << "see " << log;
  http::testing::TestClient client("127.0.0.1", server.port);
  auto r = client.get("/healthz");
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->status, 200u) << "serve still serves after SIGHUP";
  client.close();

  testing::stop_serve(server);
}

}  // namespace
}  // namespace fleetgate
