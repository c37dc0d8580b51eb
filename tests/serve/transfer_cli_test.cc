// A cross-border transfer of telemetry through the CLI while `serve` runs (README "Cross-border
// transfers"), the same in both modes: a cn car's records, two approvals, a desensitised export
// from cn, verified and imported into eu. In the distributed mode the export scans cn's query
// store and the import lands in eu's database (its region objects), through the admin socket of
// one of the region's two nodes.
#include <gtest/gtest.h>

#include <map>

#include <boost/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fleetgate/core/config.h"
#include "fleetgate/http/test_client.h"
#include "fleetgate/store/test_dir.h"
#include "support/fleetgate_process.h"
#include "support/scratch_config.h"
#include "support/test_backend.h"

namespace fleetgate {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using testing::CommandResult;

constexpr const char* kCnVin = "LRW3E7FAXPC245871";  // config/demo-fleet.csv: sold in China, homed in cn

std::string slurp(const fs::path& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(TransferCli, TelemetryLeavesItsRegionOnlyDesensitisedThroughApprovalExportAndImport) {
  store::TestDir dir;
  const fs::path config = testing::write_scratch_config(dir.path());
  auto cli = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"-c", config.string()});
    return testing::run_fleetgate(std::move(args), dir.path());
  };
  ASSERT_EQ(cli({"fleet", "register", kCnVin, "--market", "CN"}).code, 0);
  const CommandResult token = cli({"fleet", "token", kCnVin});
  ASSERT_EQ(token.code, 0) << token;

  testing::Serve server = testing::start_serve(config, 0, dir / "serve.log");
  ASSERT_GT(server.port, 0);
  const int64_t now =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  json::array frames;
  for (int64_t seq = 1; seq <= 3; ++seq) {
    frames.push_back(json::object{
        {"vin", kCnVin}, {"created_at", now - 10'000 + seq}, {"seq", seq},
        {"data", json::array{json::object{{"field", "speed"}, {"value", 40 + seq}},
                             json::object{{"field", "location"}, {"value", json::object{{"lat", 31.230416}, {"lon", 121.473701}}}}}}});
  }
  http::testing::TestClient client("127.0.0.1", server.port);
  auto stored = client.post("/v1/telemetry", json::serialize(frames),
                            {{"Authorization", "Bearer " + token.out.substr(0, token.out.find('\n'))}});
  ASSERT_TRUE(stored.is_ok()) << stored.status().to_string();
  ASSERT_EQ(stored->status, 200u) << stored->body;

  // Commands run inside the service (admin socket), as an operator team would work.
  for (const auto& [user, role] : {std::pair{"olga", "operator"}, {"abe", "approver"}, {"dora", "dpo"}}) {
    ASSERT_EQ(cli({"user", "add", user, "--role", role, "--region", "cn"}).code, 0) << user;
  }
  const CommandResult requested =
      cli({"transfer", "request", "--as", "olga", "--source", "cn", "--dest", "eu", "--field", "speed", "--field",
           "location", "--from", "2026-01-01", "--to", "2030-12-31", "--purpose", "lane-keeping evaluation",
           "--legal-basis", "PIPL Art. 38 standard contract", "--basis-type", "standard_contract",
           "--assessment-ref", "SA-2026-017"});
  ASSERT_EQ(requested.code, 0) << requested;
  const std::string id = requested.out.substr(0, requested.out.find('\n'));
  ASSERT_EQ(cli({"transfer", "approve", id, "--as", "abe"}).code, 0);
  const CommandResult exported_early = cli({"transfer", "export", id, "--out", "bundles"});
  EXPECT_NE(exported_early.code, 0) << "one approval never exports: " << exported_early;
  ASSERT_EQ(cli({"transfer", "approve", id, "--as", "dora"}).code, 0);
  const CommandResult exported = cli({"transfer", "export", id, "--out", "bundles"});
  ASSERT_EQ(exported.code, 0) << exported;
  const fs::path bundle = dir / "bundles" / id;  // relative to the caller's folder
  ASSERT_EQ(cli({"transfer", "verify", bundle.string()}).code, 0);
  const CommandResult imported = cli({"transfer", "import", bundle.string(), "--region", "eu"});
  ASSERT_EQ(imported.code, 0) << imported;
  EXPECT_NE(imported.out.find("imported transfer " + id + " into eu: 3 records"), std::string::npos) << imported;
  EXPECT_NE(cli({"transfer", "import", bundle.string(), "--region", "eu"}).code, 0) << "imported once only";
  // The cross-border count of the shipped config's cn rule: one car, its speed (non-sensitive)
  // and its location (sensitive), so a standard contract is what the year calls for.
  const std::string year = std::to_string(static_cast<int>(
      std::chrono::year_month_day(std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now())).year()));
  const CommandResult report = cli({"compliance", "report", "--region", "cn", "--year", year, "--json"});
  ASSERT_EQ(report.code, 0) << report;
  const json::value r = json::parse(report.out);
  EXPECT_EQ(r.at("months").as_array().back().at("general").to_number<int64_t>(), 1) << report.out;
  EXPECT_EQ(r.at("months").as_array().back().at("sensitive").to_number<int64_t>(), 1) << report.out;
  EXPECT_EQ(r.at("months").as_array().back().at("basis_needed").as_string(), "standard_contract");
  EXPECT_EQ(r.at("by_basis").at("standard_contract").as_int64(), 1);
  const CommandResult table = cli({"compliance", "report", "--region", "cn", "--year", year});
  ASSERT_EQ(table.code, 0) << table;
  EXPECT_NE(table.out.find("brackets crossed:"), std::string::npos) << table;
  EXPECT_NE(cli({"compliance", "report", "--region", "eu", "--year", year}).code, 0) << "eu has no cross-border rule";

  // The record of processing activities names this transfer among cn's transfers out, and eu's in.
  const CommandResult record = cli({"compliance", "records", "--region", "cn", "--json"});
  ASSERT_EQ(record.code, 0) << record;
  const json::value rec = json::parse(record.out);
  ASSERT_EQ(rec.at("transfers_out").as_array().size(), 1u) << record.out;
  const json::value& out = rec.at("transfers_out").as_array()[0];
  EXPECT_EQ(out.at("id").as_string(), id);
  EXPECT_EQ(out.at("dest_region").as_string(), "eu");
  EXPECT_EQ(out.at("state").as_string(), "imported");
  EXPECT_FALSE(out.at("legal_basis").as_string().empty());
  std::map<std::string, json::object> activities;
  for (const auto& a : rec.at("activities").as_array()) activities[std::string(a.at("data_class").as_string())] = a.as_object();
  EXPECT_EQ(activities.size(), std::size(config::kProcessedDataClasses));
  EXPECT_EQ(activities["transfer_bundles"].at("recipients"), (json::array{"eu"}));
  EXPECT_EQ(activities["assistant_prompts"].at("recipients").as_array()[0].at("provider").as_string(), "deepseek");
  EXPECT_EQ(activities["assistant_prompts"].at("stored_in").as_string(), "not stored");
  for (const auto& [data_class, a] : activities) {
    EXPECT_EQ(a.at("purpose").as_string().find("not declared"), std::string::npos) << data_class << ": the shipped config declares it";
  }
  EXPECT_EQ(rec.at("audit").at("entries").to_number<int64_t>() > 0, true);
  const CommandResult eu_record = cli({"compliance", "records", "--region", "eu", "--json"});
  ASSERT_EQ(eu_record.code, 0) << eu_record;
  EXPECT_EQ(json::parse(eu_record.out).at("transfers_in").as_array().size(), 1u) << eu_record.out;
  const CommandResult text = cli({"compliance", "records", "--region", "cn"});
  ASSERT_EQ(text.code, 0) << text;
  EXPECT_NE(text.out.find("Record of processing activities, region cn"), std::string::npos) << text;
  EXPECT_NE(text.out.find("transfers out: 1"), std::string::npos) << text;
  EXPECT_NE(cli({"compliance", "records", "--region", "mars"}).code, 0);
  testing::stop_serve(server);

  // What crossed: desensitised records, no VIN, no exact location.
  const std::string records = slurp(bundle / "records.jsonl");
  EXPECT_EQ(records.find(kCnVin), std::string::npos) << records;
  EXPECT_EQ(records.find("31.230416"), std::string::npos) << records;
  EXPECT_NE(records.find("31.23"), std::string::npos) << "coarsened to its grid cell: " << records;

  // Where it landed: eu's store (in the distributed mode, eu's database), read as another process would.
  auto cfg = config::load_config(config);
  ASSERT_TRUE(cfg.is_ok()) << cfg.status().to_string();
  auto eu = testing::open_region_store(*cfg, *cfg->region("eu"));
  ASSERT_TRUE(eu.is_ok()) << eu.status().to_string();
  size_t imported_records = 0;
  for (auto it = (*eu)->scan("imported/" + id + "/records/"); it->valid(); it->next(), ++imported_records) {
    EXPECT_EQ(it->value().find(kCnVin), std::string_view::npos);
  }
  EXPECT_EQ(imported_records, 3u);
}

}  // namespace
}  // namespace fleetgate
