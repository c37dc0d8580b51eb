// The simulated-fleet data path end to end through the real `fleetgate` binary:
// tools/sumo-scenarios.sh generates small SUMO scenarios (cn and eu, once for the suite),
// `sim fleet --region R` registers vehicles, `sim replay` sends the traffic through the normal
// WebSocket ingest of a running `fleetgate serve`, `train curate` builds a dataset in each region,
// and `train local` / `train federate` learn from it. Records and datasets must stay in their
// region; only model.weights transfers may cross.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <sys/wait.h>

#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "fleetgate/learning/dataset.h"
#include "fleetgate/learning/local_training.h"
#include "fleetgate/privacy/pseudonymiser.h"
#include "fleetgate/store/data_dir.h"
#include "fleetgate/store/embedded_store.h"
#include "fleetgate/store/test_dir.h"
#include "fleetgate/telemetry/store_key.h"
#include "fleetgate/telemetry/stored_records.h"
#include "support/fleetgate_process.h"
#include "support/scratch_config.h"

namespace fleetgate {
namespace {

const std::string kScenarios = FLEETGATE_SOURCE_DIR "/tools/sumo-scenarios.sh";

bool sumo_installed() {
  return std::system("command -v sumo >/dev/null && command -v netgenerate >/dev/null && "
                     "test -f \"${SUMO_HOME:-/usr/share/sumo}/tools/randomTrips.py\"") == 0;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs a shell command with stdout and stderr to `log`; its exit code.
int run(const std::string& command, const std::filesystem::path& log) {
  const int status = std::system((command + " >" + log.string() + " 2>&1").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string value_of(const std::string& env_text, const std::string& name) {
  const size_t at = env_text.find(name + "=");
  if (at == std::string::npos) return "";
  const size_t start = at + name.size() + 1;
  return env_text.substr(start, env_text.find('\n', start) - start);
}

size_t count_keys(const store::KvReader& kv, std::string_view prefix) {
  size_t n = 0;
  for (auto it = kv.scan(prefix); it->valid(); it->next()) ++n;
  return n;
}

// The JSON object on the last line of `text` that starts with `{` (stdout's JSON follows stderr's
// progress lines in a combined log).
boost::json::object last_json_object(const std::string& text) {
  const size_t at = text.rfind("\n{", text.size() >= 2 ? text.size() - 2 : 0);
  return boost::json::parse(text.substr(at == std::string::npos ? text.find('{') : at + 1)).as_object();
}

std::vector<std::string> vins_of(const std::filesystem::path& tokens) {
  std::vector<std::string> vins;
  std::ifstream in(tokens);
  for (std::string vin, token; in >> vin >> token;) vins.push_back(vin);
  return vins;
}

// Scenarios for cn and eu with seed 3, generated once for every test of the suite (a region's
// scenario depends only on the seed, not on which other regions are generated).
class SumoPipeline : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!sumo_installed()) return;
    scenarios_dir_ = std::make_unique<store::TestDir>();
    generate_log_ = *scenarios_dir_ / "scenarios.log";
    generated_ = run(kScenarios + " --out " + scenarios().string() + " --size ci --seed 3 --regions 'cn eu'", generate_log_) == 0;
  }
  static void TearDownTestSuite() { scenarios_dir_.reset(); }
  void SetUp() override {
    if (!sumo_installed()) GTEST_SKIP() << "SUMO is not installed (Debian packages sumo and sumo-tools; ./dev setup installs them)";
    ASSERT_TRUE(generated_) << slurp(generate_log_);
    config_ = testing::write_scratch_config(dir_.path());
    fg_ = testing::kFleetgateBinary + " -c " + config_.string();
  }

  static std::filesystem::path scenarios() { return *scenarios_dir_ / "scenarios"; }

  // Registers each region's scenario vehicles (`sim fleet --region`, serials that never overlap)
  // and replays its FCD through one running `fleetgate serve`; tokens_[region] is its token file.
  void replay(const std::vector<std::string>& regions) {
    uint32_t serial = 1;
    for (const auto& r : regions) {
      const std::string env = slurp(scenarios() / r / "scenario.env");
      ASSERT_EQ(value_of(env, "REGION"), r);
      const int vehicles = std::stoi(value_of(env, "VEHICLES"));
      ASSERT_GT(vehicles, 0);
      tokens_[r] = dir_ / (r + ".tokens");
      ASSERT_EQ(run(fg_ + " sim fleet --region " + r + " --vehicles " + std::to_string(vehicles) + " --first-serial " +
                        std::to_string(serial) + " --tokens " + tokens_[r].string(),
                    dir_ / "fleet.log"),
                0)
          << slurp(dir_ / "fleet.log");
      serial += static_cast<uint32_t>(vehicles);
    }
    testing::Serve server = testing::start_serve(config_, 0, dir_ / "serve.log");
    ASSERT_GT(server.port, 0) << slurp(dir_ / "serve.log");
    for (const auto& r : regions) {
      const int replayed = run(fg_ + " sim replay --sumo-fcd " + (scenarios() / r / "fcd.xml").string() + " --region " + r +
                                   " --tokens " + tokens_[r].string() + " --url ws://127.0.0.1:" +
                                   std::to_string(server.port) + "/v1/telemetry/ws",
                               dir_ / "replay.log");
      EXPECT_EQ(replayed, 0) << r << ": " << slurp(dir_ / "replay.log");
    }
    testing::stop_serve(server);
  }

  // `train curate --json` in `region`; its summary.
  boost::json::object curate(const std::string& region) {
    const auto log = dir_ / ("curate-" + region + ".log");
    EXPECT_EQ(run(fg_ + " train curate --region " + region + " --seed 5 --json", log), 0) << slurp(log);
    return boost::json::parse(slurp(log)).as_object();
  }

  static inline std::unique_ptr<store::TestDir> scenarios_dir_;
  static inline std::filesystem::path generate_log_;
  static inline bool generated_ = false;
  store::TestDir dir_;
  std::filesystem::path config_;
  std::string fg_;
  std::map<std::string, std::filesystem::path> tokens_;
};

TEST_F(SumoPipeline, ReplayedTrafficIsCuratedInItsRegionOnly) {
  ASSERT_NO_FATAL_FAILURE(replay({"eu"}));
  const boost::json::object summary = curate("eu");
  const std::string curate_text = boost::json::serialize(summary);
  EXPECT_GT(summary.at("positives").to_number<int64_t>(), 0) << curate_text;
  EXPECT_GT(summary.at("negatives").to_number<int64_t>(), 0) << curate_text;
  EXPECT_GT(summary.at("test_examples").to_number<int64_t>(), 0) << curate_text;
  EXPECT_GT(summary.at("counts_per_trigger").as_object().at("hard_brake").to_number<int64_t>(), 0) << curate_text;

  ASSERT_EQ(run(fg_ + " train datasets --region eu", dir_ / "datasets.log"), 0);
  EXPECT_NE(slurp(dir_ / "datasets.log").find(std::string(summary.at("version").as_string())), std::string::npos);

  // Training in region learns from the replayed traffic: a model that learned nothing ranks the
  // held-out windows at chance (AUC 0.5); the trainer's unit test compares against untrained weights.
  ASSERT_EQ(run(fg_ + " train local --region eu --epochs 10 --seed 3 --json", dir_ / "train.log"), 0) << slurp(dir_ / "train.log");
  const std::string train_text = slurp(dir_ / "train.log");
  EXPECT_GT(last_json_object(train_text).at("test_auc").to_number<double>(), 0.65) << train_text;

  // Residency: records and the dataset are in eu's store, none in cn's or us's.
  auto cfg = config::load_config(config_);
  ASSERT_TRUE(cfg.is_ok()) << cfg.status().to_string();
  for (const auto& region : cfg->regions) {
    auto kv = testing::open_region_store(*cfg, region);
    ASSERT_TRUE(kv.is_ok()) << kv.status().to_string();
    auto reader = testing::region_records(region, **kv);  // the query store, in the distributed mode
    ASSERT_TRUE(reader.is_ok()) << reader.status().to_string();
    auto records = telemetry::count_records(**reader, {});  // every vehicle's records, from the blocks
    ASSERT_TRUE(records.is_ok()) << records.status().to_string();
    const size_t datasets = count_keys(**kv, learning::kDatasetKeyPrefix);
    if (region.id == "eu") {
      EXPECT_GT(*records, 1000u);
      EXPECT_EQ(datasets, 2u);  // summary and sealed examples
    } else {
      EXPECT_EQ(*records, 0u) << region.id;
      EXPECT_EQ(datasets, 0u) << region.id;
    }
  }
}

// Issue #8's CI check: simulate -> ingest -> curate -> federate through the CLI in two regions.
// The federated model must beat an untrained model on each region's held-out split, the audit
// chain must show weight transfers only, and no store may hold another region's vehicles.
TEST_F(SumoPipeline, FederatedModelLearnsAndOnlyWeightsCross) {
  const std::vector<std::string> regions = {"cn", "eu"};
  std::ofstream(config_, std::ios::app) << "\n[transfer]\nauto_approve_model_weights = true\n";
  ASSERT_NO_FATAL_FAILURE(replay(regions));
  for (const auto& r : regions) {
    const boost::json::object summary = curate(r);
    ASSERT_GT(summary.at("test_examples").to_number<int64_t>(), 100) << r << ": " << boost::json::serialize(summary);
  }

  constexpr uint32_t kRounds = 3;
  constexpr uint64_t kSeed = 3;
  const auto federate_log = dir_ / "federate.log";
  ASSERT_EQ(run(fg_ + " train federate --rounds " + std::to_string(kRounds) + " --epochs 5 --seed " + std::to_string(kSeed) +
                    " --personal-epochs 3 --regions cn,eu --aggregator eu --legal-basis 'model parameters only'"
                    " --assessment-ref SA-TEST-8"
                    " --bundle-dir " + (dir_ / "bundles").string() + " --json",
                federate_log),
            0)
      << slurp(federate_log);
  const boost::json::object federated = last_json_object(slurp(federate_log));
  // Per round: the cn update goes to eu, the global model comes back to cn. Personalising the
  // global model in each region afterwards moves nothing.
  const uint64_t expected_transfers = 2 * kRounds;
  EXPECT_EQ(federated.at("deployed").as_string(), "personalised");
  EXPECT_EQ(federated.at("transfers").to_number<uint64_t>(), expected_transfers);
  std::map<std::string, boost::json::object> federated_test;
  for (const auto& row : federated.at("regions").as_array()) {
    federated_test[std::string(row.at("region").as_string())] = row.as_object();
  }

  auto cfg = config::load_config(config_);
  ASSERT_TRUE(cfg.is_ok()) << cfg.status().to_string();
  std::map<std::string, std::vector<std::string>> vins;
  for (const auto& r : regions) vins[r] = vins_of(tokens_[r]);
  for (const auto& region : cfg->regions) {
    auto kv = testing::open_region_store(*cfg, region);
    ASSERT_TRUE(kv.is_ok()) << kv.status().to_string();
    auto keys = privacy::RegionKeys::open(region.data_dir, region.id);
    ASSERT_TRUE(keys.is_ok()) << keys.status().to_string();

    // Residency on disk: every record key's pseudonym is one of this region's own vehicles under
    // this region's key; no vehicle homed elsewhere has a record here.
    const privacy::Pseudonymiser pseudonyms(*keys);
    std::set<std::string> own, foreign;
    for (const auto& [home, home_vins] : vins) {
      for (const auto& vin : home_vins) {
        auto p = pseudonyms.pseudonym(vin);
        ASSERT_TRUE(p.is_ok()) << p.status().to_string();
        (home == region.id ? own : foreign).insert(*p);
      }
    }
    auto stored = testing::region_records(region, **kv);  // the query store, in the distributed mode
    ASSERT_TRUE(stored.is_ok()) << stored.status().to_string();
    size_t blocks = 0;  // keys of stored telemetry blocks
    for (auto it = (*stored)->scan(privacy::kPseudonymPrefix); it->valid(); it->next()) {
      auto key = telemetry::decode_store_key(it->key());
      ASSERT_TRUE(key.is_ok()) << region.id << ": " << key.status().to_string();
      EXPECT_TRUE(own.contains(key->pseudonym)) << region.id << " holds a record of " << key->pseudonym
                                                << (foreign.contains(key->pseudonym) ? ", a vehicle homed elsewhere" : "");
      ++blocks;
    }
    auto datasets = learning::list_datasets(**kv);
    ASSERT_TRUE(datasets.is_ok()) << datasets.status().to_string();
    if (!vins.contains(region.id)) {
      EXPECT_EQ(blocks, 0u) << region.id;
      EXPECT_TRUE(datasets->empty()) << region.id;
      continue;
    }
    auto records = telemetry::count_records(**stored, {});
    ASSERT_TRUE(records.is_ok()) << records.status().to_string();
    EXPECT_GT(*records, 1000u) << region.id;
    ASSERT_EQ(datasets->size(), 1u) << region.id;
    EXPECT_EQ(datasets->front().region, region.id);

    // Learning: the federated model (3 rounds) and the personalised one the region deploys against
    // the untrained model they started from, on the region's held-out split. With over 100
    // held-out windows a ranking at chance has an AUC standard deviation of about 0.03, so 0.7
    // and a 0.1 lead cannot pass by luck.
    auto vehicle_keys = testing::open_vehicle_keys(region, *keys);  // curation sealed each car's examples under its key
    ASSERT_TRUE(vehicle_keys.is_ok()) << vehicle_keys.status().to_string();
    auto data = learning::load_training_data(**kv, *keys, learning::kLatestVersion, 32, *vehicle_keys);
    ASSERT_TRUE(data.is_ok()) << data.status().to_string();
    auto init = learning::initial_weights(data->spec, kSeed);
    ASSERT_TRUE(init.is_ok()) << init.status().to_string();
    auto untrained = learning::evaluate_model(data->spec, *init, data->normaliser, data->dataset.test);
    ASSERT_TRUE(untrained.is_ok()) << untrained.status().to_string();
    ASSERT_TRUE(federated_test.contains(region.id)) << boost::json::serialize(federated);
    const boost::json::object& fed = federated_test.at(region.id);
    const double auc = fed.at("test_auc").to_number<double>();
    EXPECT_GT(auc, 0.7) << region.id << ": " << boost::json::serialize(fed);
    EXPECT_GT(auc, untrained->auc.value_or(0.5) + 0.1) << region.id << ": untrained AUC " << untrained->auc.value_or(0.5);
    EXPECT_LT(fed.at("test_log_loss").to_number<double>(), untrained->log_loss) << region.id;
    EXPECT_GT(fed.at("global_test_auc").to_number<double>(), untrained->auc.value_or(0.5) + 0.1) << region.id;
  }

  // The audit chain is intact and its only transfers are the federation's model.weights ones.
  ASSERT_EQ(run(fg_ + " audit verify", dir_ / "verify.log"), 0) << slurp(dir_ / "verify.log");
  ASSERT_EQ(run(fg_ + " audit tail -n 1000000 --json", dir_ / "audit.json"), 0) << slurp(dir_ / "audit.json");
  const boost::json::array chain = boost::json::parse(slurp(dir_ / "audit.json")).as_array();
  std::set<std::string> weight_transfers;
  std::map<std::string, size_t> transfer_actions;
  for (const auto& v : chain) {
    const boost::json::object& e = v.as_object();
    const std::string action(e.at("action").as_string());
    if (action.rfind("transfer.", 0) != 0) continue;
    const std::string id(e.at("subject").as_string());
    ++transfer_actions[action];
    if (action == "transfer.request") {
      EXPECT_EQ(e.at("details").at("data_class").as_string(), "model.weights") << boost::json::serialize(e);
      weight_transfers.insert(id);
    } else {
      EXPECT_TRUE(weight_transfers.contains(id)) << action << " of a transfer requested as something else: " << id;
    }
  }
  EXPECT_EQ(weight_transfers.size(), expected_transfers);
  for (const char* action : {"transfer.request", "transfer.approve", "transfer.export", "transfer.import"}) {
    EXPECT_EQ(transfer_actions[action], expected_transfers) << action;
  }
  EXPECT_EQ(transfer_actions.size(), 4u) << "transfer actions other than request, approve, export, import";

  // `train evaluate` prints the table and writes JSON only when asked (--out): its old default,
  // bench/results/learning.json under the current folder, overwrote the tracked run when called
  // from the repository root.
  const auto evaluate_log = dir_ / "evaluate.log";
  ASSERT_EQ(run("cd " + dir_.path().string() + " && " + fg_ + " train evaluate --regions cn,eu --epochs 2", evaluate_log), 0)
      << slurp(evaluate_log);
  EXPECT_NE(slurp(evaluate_log).find("| eu |"), std::string::npos) << slurp(evaluate_log);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "bench")) << "train evaluate wrote a file nobody asked for";
}

}  // namespace
}  // namespace fleetgate
