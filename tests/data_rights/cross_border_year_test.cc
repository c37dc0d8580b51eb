// A simulated year of cn's exports at the shipped thresholds of the CAC cross-border provisions
// (README "Compliance"): 15,000 new vehicles' speeds leave cn each month, so the exempt bracket
// (under 100,000 individuals) is full in July, and October's export of positions (sensitive
// personal information) calls for a security assessment, for it and every later transfer of the
// year. Each transfer with too weak a basis is refused at approval; `fleetgate compliance report --region cn --year 2026`, run through the
// service, shows the months, the crossings, the transfers by basis and the refusals (the report
// is printed to the test's output). Embedded only: 180,000 vehicles written through the control
// plane's transfers are a simulation of scale, not of the backend, which CrossBorderServiceTest
// and TransferCli cover on both.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/json.hpp>
#include <ctime>
#include <fstream>
#include <sstream>

#include "fleetgate/app/cli.h"
#include "fleetgate/app/service.h"
#include "fleetgate/store/test_dir.h"
#include "fleetgate/telemetry/record_codec.h"
#include "fleetgate/transfer/transfer_service.h"
#include "fleetgate/vehicle/vin.h"

namespace fleetgate {
namespace {

namespace json = boost::json;

constexpr int kVehiclesPerMonth = 15'000;

// 00:00 UTC on the 1st of `month` (1-12; 13 is January of the next year) of 2026.
int64_t month_start_ms(int month) {
  std::tm t{};
  t.tm_year = (month > 12 ? 2027 : 2026) - 1900;
  t.tm_mon = (month - 1) % 12;
  t.tm_mday = 1;
  return static_cast<int64_t>(timegm(&t)) * 1000;
}

std::string vin_of(int serial) {
  std::string digits = std::to_string(serial);
  std::string vin = "LRW3E7EK0RC" + std::string(6 - digits.size(), '0') + digits;
  vin[8] = vehicle::check_digit(vin).value_or('0');
  return vin;
}

class CrossBorderYear : public ::testing::Test {
 protected:
  void SetUp() override {
    spdlog::set_level(spdlog::level::warn);
    const auto config_file = dir_ / "fleetgate.toml";
    std::ofstream(config_file) << "[server]\ndata_dir = \"data\"\n"
                                  "[[regions]]\nid = \"cn\"\nchain = [\"onboard\"]\n"
                                  "[[regions]]\nid = \"eu\"\nchain = [\"onboard\"]\n"
                                  "[markets]\nCN = \"cn\"\nDE = \"eu\"\n"
                                  "[[providers]]\nid = \"onboard\"\nkind = \"onboard\"\nlocation = \"vehicle\"\n"
                                  "models = [\"fleetgate-onboard\"]\n"
                                  // The thresholds shipped in config/fleetgate.toml.
                                  "[[compliance.cross_border]]\nregion = \"cn\"\n"
                                  "reference = \"CAC Cross-Border Data Flow Provisions (2024) Art. 5, 7, 8\"\n"
                                  "exempt_below = 100000\nassessment_above = 1000000\n"
                                  "sensitive_assessment_above = 10000\nsensitive_fields = [\"location\", \"heading\"]\n";
    auto loaded = app::load(config_file.string());
    ASSERT_TRUE(loaded.is_ok()) << loaded.status().to_string();
    app::ServiceOptions options;
    options.port = 0;
    options.clock = [this] { return now_.load(); };
    auto service = app::Service::create(std::move(loaded).value(), options);
    ASSERT_TRUE(service.is_ok()) << service.status().to_string();
    service_ = std::move(service).value();
  }
  void TearDown() override {
    if (service_) service_->stop();
  }

  // One record of each vehicle of `month` (serials of that month), speed and position, taken in it.
  void write_month(int month) {
    const transfer::RegionData cn = service_->backend().region("cn");
    const telemetry::RecordCodec codec(cn.keys);
    store::WriteBatch batch;
    for (int i = 0; i < kVehiclesPerMonth; ++i) {
      telemetry::Record r;
      r.vin = vin_of((month - 1) * kVehiclesPerMonth + i + 1);
      r.created_at_ms = month_start_ms(month) + 9 * 86'400'000LL + i;
      r.seq = 1;
      r.data = {{telemetry::Field::kSpeed, 42.0}, {telemetry::Field::kLocation, telemetry::Location{31.23, 121.47, {}}}};
      auto sealed = codec.encode(r);
      ASSERT_TRUE(sealed.is_ok()) << sealed.status().to_string();
      batch.put_moved(std::move(sealed->key), std::move(sealed->value));
    }
    ASSERT_TRUE(cn.store->write(batch, {.sync = false}).is_ok());
  }

  // Requests `fields` of `month`'s records under `basis`, approves it (approver and DPO of cn) and
  // exports it; the approval's status (and nothing is exported when it is refused).
  Status transfer_month(int month, std::vector<std::string> fields, const std::string& basis) {
    transfer::TransferService& transfers = service_->transfers();
    transfer::TransferRequest req;
    req.source_region = "cn";
    req.dest_region = "eu";
    req.fields = std::move(fields);
    req.selection = {month_start_ms(month), month_start_ms(month + 1) - 1, {}};
    req.purpose = "fleet safety statistics";
    req.legal_basis = basis == "none" ? "PIPL Art. 38 (exempt volume)" : "PIPL Art. 38";
    req.basis_type = basis;
    req.assessment_ref = basis == "security_assessment" ? "CAC-SA-2026-0117" : "n/a";
    req.expires_at_ms = now_ + 7 * 86'400'000LL;
    auto id = transfers.request(http::Principal{"olga", {"operator"}, {"cn"}}, req);
    if (!id.is_ok()) return id.status();
    if (Status s = transfers.approve(http::Principal{"abe", {"approver"}, {"cn"}}, *id); !s.is_ok()) return s;
    if (Status s = transfers.approve(http::Principal{"dora", {"dpo"}, {"cn"}}, *id); !s.is_ok()) return s;
    return transfers.export_bundle(*id, dir_ / "bundles", "test").status();
  }

  std::string report(bool as_json) {
    std::ostringstream out, err;
    app::Cli cli;
    cli.served = &service_->backend();
    cli.out_stream = &out;
    cli.err_stream = &err;
    std::vector<std::string> args = {"compliance", "report", "--region", "cn", "--year", "2026"};
    if (as_json) args.push_back("--json");
    EXPECT_EQ(app::run_command(args, cli), 0) << err.str();
    return out.str();
  }

  store::TestDir dir_;
  std::atomic<int64_t> now_{month_start_ms(1)};
  std::unique_ptr<app::Service> service_;
};

TEST_F(CrossBorderYear, TheShippedThresholdsAreCrossedInJulyAndByOctobersPositions) {
  for (int month = 1; month <= 12; ++month) {
    SCOPED_TRACE("month " + std::to_string(month));
    now_ = month_start_ms(month) + 14 * 86'400'000LL;  // mid-month
    ASSERT_NO_FATAL_FAILURE(write_month(month));
    // Up to June, 90,000 individuals: exempt. July's would make 105,000: a contract is needed.
    // Once October's positions have left, the year's counts call for an assessment on every
    // transfer that follows, whatever its fields.
    const std::string basis = month < 7 ? "none" : month < 10 ? "standard_contract" : "security_assessment";
    if (month == 11) {
      Status refused = transfer_month(month, {"speed"}, "standard_contract");
      EXPECT_EQ(refused.code(), Code::kFailedPrecondition) << refused.to_string();
    }
    if (month == 7) {
      Status refused = transfer_month(month, {"speed"}, "none");
      EXPECT_EQ(refused.code(), Code::kFailedPrecondition) << refused.to_string();
      EXPECT_NE(refused.message().find("standard_contract"), std::string::npos) << refused.message();
    }
    if (month == 10) {
      // Positions of 15,000 individuals: over 10,000 sensitive calls for a security assessment.
      Status refused = transfer_month(month, {"speed", "location"}, "standard_contract");
      EXPECT_EQ(refused.code(), Code::kFailedPrecondition) << refused.to_string();
      EXPECT_NE(refused.message().find("security_assessment"), std::string::npos) << refused.message();
      ASSERT_TRUE(transfer_month(month, {"speed", "location"}, "security_assessment").is_ok());
      continue;
    }
    Status s = transfer_month(month, {"speed"}, basis);
    ASSERT_TRUE(s.is_ok()) << s.to_string();
  }
  now_ = month_start_ms(13) - 1;

  const json::value r = json::parse(report(true));
  const json::array& months = r.at("months").as_array();
  ASSERT_EQ(months.size(), 12u);
  EXPECT_EQ(months[5].at("general").as_int64(), 90'000);
  EXPECT_EQ(months[5].at("basis_needed").as_string(), "none");
  EXPECT_EQ(months[6].at("general").as_int64(), 105'000);
  EXPECT_EQ(months[6].at("basis_needed").as_string(), "standard_contract");
  EXPECT_EQ(months[9].at("sensitive").as_int64(), 15'000);
  EXPECT_EQ(months[9].at("basis_needed").as_string(), "security_assessment");
  EXPECT_EQ(months[11].at("general").as_int64(), 180'000);
  const json::array& crossed = r.at("brackets_crossed").as_array();
  ASSERT_EQ(crossed.size(), 2u) << json::serialize(crossed);
  EXPECT_EQ(crossed[0].at("month").as_string(), "2026-07");
  EXPECT_EQ(crossed[1].at("month").as_string(), "2026-10");
  // The report as an auditor reads it.
  std::cout << report(false);
}

}  // namespace
}  // namespace fleetgate
