// Retention per data class and market ([[compliance.retention]], README "Compliance") through the
// real service, on both backends: a DE car's telemetry and usage records, and the region's dataset
// and model, are deleted once older than their period; an FR car of the same region, which no rule
// covers, keeps everything; the usage totals settlement reads stay; the record of processing
// names each period.
#include "data_rights/data_rights_fixture.h"
#include "fleetgate/app/processing_records.h"
#include "fleetgate/app/retention.h"
#include "fleetgate/learning/checkpoint.h"
#include "fleetgate/learning/checkpoint_fixture.h"
#include "fleetgate/learning/dataset.h"
#include "fleetgate/ledger/usage_log.h"
#include "fleetgate/vehicle/vin.h"

namespace fleetgate {
namespace {

using testing::DataRightsTest;
using testing::kErased;
using testing::now_ms;
namespace json = boost::json;

constexpr int64_t kDayMs = 24 * 3600 * 1000;
constexpr std::string_view kDeCar = kErased;      // registered in DE
constexpr std::string_view kFrCar = "VF1RFB00X57123456";  // registered in FR below

class RetentionTest : public DataRightsTest {
 protected:
  RetentionTest() {
    extra_toml_ = R"toml(
[[compliance.retention]]
data_class = "telemetry"
days = 30
markets = ["DE"]
reference = "GDPR Art. 5(1)(e)"
[[compliance.retention]]
data_class = "assistant_usage"
days = 30
markets = ["DE"]
reference = "GDPR Art. 5(1)(e)"
[[compliance.retention]]
data_class = "datasets"
days = 30
regions = ["eu"]
reference = "training data policy"
[[compliance.retention]]
data_class = "models"
days = 30
regions = ["eu"]
reference = "model policy"
)toml";
  }

  // The markets of the usage records in eu's log.
  std::vector<std::string> usage_markets() {
    std::vector<std::string> markets;
    Status s = service_->usage_log("eu")->scan(0, now_ms() + kDayMs, [&](const ledger::UsageRecord& r) {
      markets.push_back(r.market);
      return Status::ok();
    });
    EXPECT_TRUE(s.is_ok()) << s.to_string();
    std::sort(markets.begin(), markets.end());
    return markets;
  }
};

TEST_F(RetentionTest, EachMarketsDataIsDeletedOnceOlderThanItsPeriodAndOnlyThat) {
  auto& cp = service_->control_plane();
  ASSERT_TRUE(cp.registry->register_vehicle(kFrCar, "FR", "", "test").is_ok());
  tokens_[std::string(kFrCar)] = *cp.credentials->issue_vehicle_token(kFrCar, "eu", "test");
  for (std::string_view car : {kDeCar, kFrCar}) {
    ASSERT_EQ(report(car, 1), 200u);
    auto chat = call(tokens_.at(std::string(car)), http::Verb::post, "/v1/chat/completions",
                     R"({"model":"fleetgate-onboard","messages":[{"role":"user","content":"hello"}]})");
    ASSERT_EQ(chat.status, 200u) << chat.body;
  }
  ASSERT_EQ(readable(kDeCar, 3).size(), 3u);
  ASSERT_EQ(readable(kFrCar, 3).size(), 3u);
  for (int i = 0; i < 100 && usage_markets().size() < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(usage_markets(), (std::vector<std::string>{"DE", "FR"}));
  store::KvStore& eu_store = *service_->backend().region("eu").store;
  learning::Dataset d;
  d.region = "eu";
  d.version = "v1";
  d.window_steps = 1;
  d.step_dim = 1;
  d.feature_names = {"speed"};
  d.train.push_back({{50}, 1, "p_aa", 1000, "hard_brake"});
  d.test.push_back({{30}, 0, "p_bb", 2000, "negative"});
  ASSERT_TRUE(learning::save_dataset(eu_store, service_->backend().region("eu").keys, d).is_ok());
  learning::Checkpoint model = learning::testing::sample_checkpoint("eu");
  model.meta.created_ms = now_ms();
  ASSERT_TRUE(learning::save_checkpoint(eu_store, "local", model).is_ok());
  const int64_t hour = now_ms() / 3'600'000 * 3'600'000;
  ledger::UsageSummary totals_before;
  ASSERT_TRUE(service_->usage_log("eu")->totals(hour - 3'600'000, hour + 3'600'000, totals_before).is_ok());

  // Today nothing is old enough: every rule runs and deletes nothing.
  auto today = app::enforce_retention(service_->backend(), now_ms());
  ASSERT_TRUE(today.is_ok()) << today.status().to_string();
  ASSERT_EQ(today->size(), 4u) << "telemetry and usage of DE, datasets and models of eu";
  for (const app::RetentionRun& r : *today) EXPECT_EQ(r.deleted, 0u) << r.data_class;

  // 31 days on: the DE car's records and usage, the dataset and the model are gone.
  auto later = app::enforce_retention(service_->backend(), now_ms() + 31 * kDayMs);
  ASSERT_TRUE(later.is_ok()) << later.status().to_string();
  std::map<std::string, uint64_t> deleted;
  for (const app::RetentionRun& r : *later) {
    EXPECT_EQ(r.region, "eu");
    EXPECT_EQ(r.days, 30u);
    deleted[r.data_class + (r.market.empty() ? "" : "/" + r.market)] = r.deleted;
  }
  EXPECT_GE(deleted["telemetry/DE"], 1u);
  EXPECT_EQ(deleted["assistant_usage/DE"], 1u);
  EXPECT_EQ(deleted["datasets"], 1u);
  EXPECT_EQ(deleted["models"], 1u);
  auto de_left = eu().read(kDeCar, 0, now_ms() + kDayMs, 1000);
  ASSERT_TRUE(de_left.is_ok());
  EXPECT_TRUE(de_left->empty());
  // The FR car, which no rule covers, keeps its records and usage.
  EXPECT_EQ(readable(kFrCar, 3).size(), 3u);
  EXPECT_EQ(usage_markets(), (std::vector<std::string>{"FR"}));
  EXPECT_TRUE(learning::list_datasets(eu_store)->empty());
  EXPECT_TRUE(learning::list_models(eu_store)->empty());
  // Settlement reads the hourly totals, which name no vehicle: unchanged.
  ledger::UsageSummary totals_after;
  ASSERT_TRUE(service_->usage_log("eu")->totals(hour - 3'600'000, hour + 3'600'000, totals_after).is_ok());
  EXPECT_EQ(totals_after, totals_before);
}

TEST_F(RetentionTest, TheRecordOfProcessingNamesEachPeriod) {
  const app::LoadedConfig& loaded = service_->backend().loaded();
  const json::object r = app::processing_records(*loaded.config, *loaded.config->region("eu"), {}, {0, ""}, now_ms());
  std::map<std::string, std::string> retention;
  for (const auto& a : r.at("activities").as_array()) {
    retention[std::string(a.at("data_class").as_string())] = std::string(a.at("retention").as_string());
  }
  EXPECT_EQ(retention["telemetry"], "DE: 30 days (GDPR Art. 5(1)(e)), then deleted");
  EXPECT_EQ(retention["assistant_usage"],
            "DE: 30 days (GDPR Art. 5(1)(e)), then deleted; the hourly totals settlement reads are kept");
  EXPECT_EQ(retention["datasets"], "30 days (training data policy), then deleted");
  EXPECT_EQ(retention["models"], "30 days (model policy), then deleted");
}

}  // namespace
}  // namespace fleetgate
