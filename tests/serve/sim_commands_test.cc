// `fleetgate sim fleet` and `sim run` as the README runs them: `sim fleet` decides about every VIN
// before it writes anything, so a second run either re-issues its own vehicles' tokens or changes
// nothing; `sim run` that stored nothing does not exit 0.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fleetgate/store/test_dir.h"
#include "fleetgate/telemetry/sim_vehicle.h"
#include "support/fleetgate_process.h"
#include "support/scratch_config.h"

namespace fleetgate {
namespace {

namespace fs = std::filesystem;

struct Outcome {
  int code = -1;
  std::string output;  // stdout and stderr
};

class SimCommands : public ::testing::Test {
 protected:
  SimCommands() : config_(testing::write_scratch_config(dir_.path())) {}

  // `fleetgate -c CONFIG ARGS...` to its end.
  Outcome fleetgate(std::vector<std::string> args) {
    const fs::path log = dir_ / ("run-" + std::to_string(++runs_) + ".log");
    args.insert(args.begin(), {"-c", config_.string()});
    testing::FleetgateProcess p = testing::spawn_fleetgate(std::move(args), log);
    const int wstatus = testing::wait_for(p);
    return {WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1, text_of(log)};
  }

  static std::string text_of(const fs::path& file) {
    std::ifstream in(file);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  // The number of entries in the audit chain: every registration and token issue adds one.
  size_t audit_entries() {
    const Outcome verify = fleetgate({"audit", "verify"});
    EXPECT_EQ(verify.code, 0) << verify.output;
    const size_t at = verify.output.find("intact: ");
    return at == std::string::npos ? 0 : std::stoul(verify.output.substr(at + 8));
  }

  store::TestDir dir_;
  fs::path config_;
  int runs_ = 0;
};

TEST_F(SimCommands, RunAgainSimFleetReissuesItsOwnVehiclesTokens) {
  const fs::path tokens = dir_ / "fleet.tokens";
  ASSERT_EQ(fleetgate({"sim", "fleet", "--vehicles", "3", "--tokens", tokens.string()}).code, 0);
  const std::string first = text_of(tokens);
  const Outcome again = fleetgate({"sim", "fleet", "--vehicles", "3", "--tokens", tokens.string()});
  EXPECT_EQ(again.code, 0) << again.output;
  const std::string second = text_of(tokens);
  EXPECT_EQ(std::count(second.begin(), second.end(), '\n'), 3);
  EXPECT_NE(first, second) << "fresh tokens, since the file's old ones were replaced";
  EXPECT_EQ(second.substr(0, 17), telemetry::sim_vin(1));
}

// The README's ingest example registers serials 1..64 over every region; the learning example then
// asked for serials 1..134 in cn alone. That used to re-issue serial 1's token (cn) and fail at
// serial 2 (us) with the token file already truncated.
TEST_F(SimCommands, VinsHomedInAnotherRegionRefuseTheWholeRunBeforeAnythingChanges) {
  const fs::path spread = dir_ / "fleet.tokens";
  ASSERT_EQ(fleetgate({"sim", "fleet", "--vehicles", "3", "--tokens", spread.string()}).code, 0);
  const fs::path cn = dir_ / "cn.tokens";
  std::ofstream(cn) << "kept\n";
  const size_t entries = audit_entries();

  const Outcome refused = fleetgate({"sim", "fleet", "--region", "cn", "--vehicles", "3", "--tokens", cn.string()});
  EXPECT_EQ(refused.code, 1);
  EXPECT_EQ(refused.output, "fleetgate: 2 of 3 VINs are taken (" + telemetry::sim_vin(2) +
                                " is homed in region 'us'); nothing was changed: pick other VINs with --first-serial\n");
  EXPECT_EQ(audit_entries(), entries) << "no token was re-issued, no vehicle registered";
  EXPECT_EQ(text_of(cn), "kept\n") << "the token file is written only once the run can succeed";

  const Outcome elsewhere = fleetgate({"sim", "fleet", "--region", "cn", "--vehicles", "3", "--first-serial", "4",
                                   "--tokens", cn.string()});
  EXPECT_EQ(elsewhere.code, 0) << elsewhere.output;
}

TEST_F(SimCommands, AVehicleRegisteredOutsideSimFleetIsNotItsToReissue) {
  const std::string vin = telemetry::sim_vin(7);
  ASSERT_EQ(fleetgate({"fleet", "register", vin, "--market", "DE", "--label", "customer car"}).code, 0);
  const size_t entries = audit_entries();
  const Outcome refused = fleetgate({"sim", "fleet", "--vehicles", "10", "--tokens", (dir_ / "t").string()});
  EXPECT_EQ(refused.code, 1);
  EXPECT_NE(refused.output.find("1 of 10 VINs are taken (" + vin + " is registered with label 'customer car', not by sim fleet)"),
            std::string::npos)
      << refused.output;
  EXPECT_EQ(audit_entries(), entries);
  EXPECT_FALSE(fs::exists(dir_ / "t"));
}

TEST_F(SimCommands, SimRunThatStoredNothingExits1) {
  const fs::path tokens = dir_ / "fleet.tokens";
  ASSERT_EQ(fleetgate({"sim", "fleet", "--vehicles", "2", "--tokens", tokens.string()}).code, 0);
  // A loopback port nothing listens on: bound, then released.
  const int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  close(s);
  const std::string url = "ws://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/v1/telemetry/ws";
  const Outcome run = fleetgate({"sim", "run", "--tokens", tokens.string(), "--url", url, "--duration", "0.5", "--max-retries", "0"});
  EXPECT_EQ(run.code, 1) << run.output;
  EXPECT_NE(run.output.find("fleetgate: no record was acknowledged ("), std::string::npos) << run.output;
}

}  // namespace
}  // namespace fleetgate
