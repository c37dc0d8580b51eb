#include "fleetgate/learning/federation.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "fleetgate/learning/evaluation.h"
#include "fleetgate/learning/synthetic_dataset.h"
#include "fleetgate/transfer/transfer_test_env.h"

namespace fleetgate::learning {
namespace {

const std::vector<std::string> kRegions = {"cn", "us", "eu"};

// Three regions with datasets of very different sizes, wired to the transfer service; a region
// named in `local_rule` labels its data by a partly different rule (synthetic_dataset).
class FederationTest : public ::testing::Test {
 protected:
  explicit FederationTest(bool auto_approve = true, const std::map<std::string, double>& local_rule = {})
      : env_(with_auto_approval(auto_approve)) {
    const std::map<std::string, int> train_size = {{"cn", 40}, {"us", 400}, {"eu", 120}};
    uint64_t seed = 100;
    for (const auto& r : kRegions) {
      auto keys = privacy::RegionKeys::open(env_.dir() / r, r);
      EXPECT_TRUE(keys.is_ok()) << keys.status().to_string();
      regions_[r] = transfer::RegionData{&env_.region_store(r), *keys, env_.dir() / r, {}, {}};
      const double rule = local_rule.contains(r) ? local_rule.at(r) : 0.0;
      auto saved = save_dataset(env_.region_store(r), *keys, synthetic_dataset(r, train_size.at(r), 300, ++seed, 0.3, rule));
      EXPECT_TRUE(saved.is_ok()) << saved.status().to_string();
    }
  }

  static transfer::TransferOptions with_auto_approval(bool on) {
    transfer::TransferOptions o;
    o.auto_approve_model_weights = on;
    return o;
  }

  FederationOptions options() const {
    FederationOptions o;
    o.regions = kRegions;
    o.aggregator = "eu";
    o.rounds = 3;
    o.local = {.epochs = 4, .seed = 7};
    o.hidden = 16;
    o.legal_basis = "model parameters only";
    o.assessment_ref = "SA-TEST-1";
    o.bundle_dir = env_.dir() / "bundles";
    o.run_id = "t1";
    o.now_ms = env_.now_ms;
    return o;
  }

  Result<FederationReport> run(const FederationOptions& o) {
    return run_federation(env_.service(), policy(), operator_, regions_, o);
  }

  // The same three regions as the transfer environment, for the federation's own residency checks.
  const residency::Policy& policy() {
    if (!policy_) {
      auto cfg = config::parse_config(
          "[[regions]]\nid = \"cn\"\nchain = [\"onboard\"]\n[[regions]]\nid = \"us\"\nchain = [\"onboard\"]\n"
          "[[regions]]\nid = \"eu\"\nchain = [\"onboard\"]\n[[providers]]\nid = \"onboard\"\nkind = \"onboard\"\n"
          "location = \"vehicle\"\nmodels = [\"m\"]\n[markets]\nCN = \"cn\"\nUS = \"us\"\nDE = \"eu\"\n",
          env_.dir() / "policy.toml");
      EXPECT_TRUE(cfg.is_ok()) << cfg.status().to_string();
      auto p = residency::Policy::create(std::make_shared<const config::Config>(std::move(cfg).value()));
      policy_ = std::make_shared<const residency::Policy>(std::move(p).value());
    }
    return *policy_;
  }

  transfer::TransferEnv env_;
  std::map<std::string, transfer::RegionData> regions_;
  std::shared_ptr<const residency::Policy> policy_;
  const http::Principal operator_{"fedbot", {"operator"}, {"*"}};
};

TEST_F(FederationTest, EveryRegionEndsWithTheGlobalModelAndItsOwnNormaliser) {
  auto report = run(options());
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  EXPECT_EQ(report->rounds, 3u);
  EXPECT_EQ(report->train_examples, 560u);
  EXPECT_FALSE(report->epsilon);
  // Per round: updates cn->eu, us->eu and the global model eu->cn, eu->us.
  EXPECT_EQ(report->transfer_ids.size(), 12u);
  std::optional<ModelWeights> global;
  for (const auto& r : kRegions) {
    auto c = load_checkpoint(env_.region_store(r), kFederatedModel);
    ASSERT_TRUE(c.is_ok()) << r << ": " << c.status().to_string();
    EXPECT_EQ(c->meta.rounds, 3u);
    ASSERT_TRUE(c->normaliser);
    auto own = load_training_data(env_.region_store(r), regions_[r].keys, kLatestVersion, 16, nullptr);
    ASSERT_TRUE(own.is_ok());
    EXPECT_EQ(*c->normaliser, own->normaliser) << r;
    if (global) {
      EXPECT_EQ(c->weights, *global) << r;
    }
    global = c->weights;
    EXPECT_GT(c->meta.test->auc.value(), 0.85) << r;
  }
}

TEST_F(FederationTest, OnlyModelWeightsCrossAndNoRegionHoldsAnotherRegionsRecords) {
  ASSERT_TRUE(run(options()).is_ok());
  auto chain = env_.audit().read(1, 10000);
  ASSERT_TRUE(chain.is_ok());
  size_t requests = 0, imports = 0;
  for (const audit::Entry& e : *chain) {
    if (e.action.rfind("transfer.", 0) != 0) continue;
    auto t = env_.service().get(e.subject);
    ASSERT_TRUE(t.is_ok()) << e.subject;
    EXPECT_EQ(t->request.data_class, residency::DataClass::kModelWeights) << e.action << " " << e.subject;
    if (e.action == "transfer.request") {
      ++requests;
      EXPECT_EQ(e.details.at("data_class").as_string(), "model.weights");
    }
    if (e.action == "transfer.import") ++imports;
  }
  EXPECT_EQ(requests, 12u);
  EXPECT_EQ(imports, 12u);
  // Every byte a region holds is its own: no other region's vehicle pseudonyms, keys or values.
  for (const auto& r : kRegions) {
    std::string everything;
    for (auto it = env_.region_store(r).scan(""); it->valid(); it->next()) {
      everything.append(it->key()).append(it->value());
    }
    for (const auto& other : kRegions) {
      if (other == r) continue;
      EXPECT_EQ(everything.find(other + "-train-"), std::string::npos) << other << " records in " << r;
      EXPECT_EQ(everything.find(other + "-test-"), std::string::npos) << other << " records in " << r;
    }
    auto datasets = list_datasets(env_.region_store(r));
    ASSERT_TRUE(datasets.is_ok());
    ASSERT_EQ(datasets->size(), 1u);
    EXPECT_EQ(datasets->front().region, r);
  }
}

TEST_F(FederationTest, FederationHelpsTheSmallRegionAndTracksCentralised) {
  FederationOptions o = options();
  o.rounds = 4;
  ASSERT_TRUE(run(o).is_ok());
  LocalTrainOptions local{.hidden = 16, .train = {.epochs = 16, .seed = 7}};
  auto cmp = compare_models(regions_, kRegions, local);
  ASSERT_TRUE(cmp.is_ok()) << cmp.status().to_string();
  ASSERT_EQ(cmp->rows.size(), 3u);
  const ComparisonRow& cn = cmp->rows[0];
  EXPECT_EQ(cn.train_examples, 40u);
  EXPECT_GT(*cn.federated.auc, *cn.local.auc + 0.01) << to_markdown(*cmp);
  for (const ComparisonRow& row : cmp->rows) EXPECT_GT(*row.federated.auc, *row.centralised.auc - 0.02) << to_markdown(*cmp);
  EXPECT_NE(to_markdown(*cmp).find("simulation only"), std::string::npos);
}

TEST_F(FederationTest, WithoutPersonalisationEveryRegionDeploysTheGlobalModel) {
  ASSERT_TRUE(run(options()).is_ok());
  for (const auto& r : kRegions) {
    auto deployed = load_checkpoint(env_.region_store(r), kFederatedModel);
    auto global = load_checkpoint(env_.region_store(r), kFederatedGlobalModel);
    ASSERT_TRUE(deployed.is_ok() && global.is_ok()) << r;
    EXPECT_EQ(*deployed, *global) << r;
    EXPECT_EQ(deployed->meta.kind, "federated");
  }
  auto cmp = compare_models(regions_, kRegions, LocalTrainOptions{.hidden = 16, .train = {.epochs = 4, .seed = 7}});
  ASSERT_TRUE(cmp.is_ok()) << cmp.status().to_string();
  for (const ComparisonRow& row : cmp->rows) EXPECT_FALSE(row.personalised) << row.region;
  EXPECT_EQ(to_json(*cmp).at("deployed").as_string(), "federated");
  EXPECT_EQ(to_markdown(*cmp).find("personalised"), std::string::npos);
}

// cn has 40 training examples and labels them by a partly different rule than us and eu.
class PersonalisedFederationTest : public FederationTest {
 protected:
  PersonalisedFederationTest() : FederationTest(true, {{"cn", 1.0}}) {}

  // Every byte `r`'s store holds, and every bundle exported during the run.
  std::string everything_outside(const std::string& r) {
    std::string out;
    for (const auto& other : kRegions) {
      if (other == r) continue;
      for (auto it = env_.region_store(other).scan(""); it->valid(); it->next()) out.append(it->key()).append(it->value());
    }
    for (const auto& f : std::filesystem::recursive_directory_iterator(env_.dir() / "bundles")) {
      if (!f.is_regular_file()) continue;
      std::ifstream in(f.path(), std::ios::binary);
      out.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    return out;
  }
};

TEST_F(PersonalisedFederationTest, TheSmallRegionDeploysAPersonalisedModelBetterThanLocalOnlyThatNeverLeavesIt) {
  FederationOptions o = options();
  o.rounds = 4;
  o.personal = TrainOptions{.epochs = 8, .seed = 11};
  auto report = run(o);
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  EXPECT_EQ(report->transfer_ids.size(), 16u) << "personalisation moves nothing";

  LocalTrainOptions local{.hidden = 16, .train = {.epochs = 16, .seed = 7}};
  auto cmp = compare_models(regions_, kRegions, local);
  ASSERT_TRUE(cmp.is_ok()) << cmp.status().to_string();
  const ComparisonRow& cn = cmp->rows[0];
  ASSERT_EQ(cn.region, "cn");
  ASSERT_TRUE(cn.personalised);
  EXPECT_GT(*cn.personalised->auc, *cn.local.auc + 0.02) << to_markdown(*cmp);
  EXPECT_GT(*cn.personalised->auc, *cn.federated.auc) << to_markdown(*cmp);
  EXPECT_EQ(*cn.personalised->auc, *report->test.at("cn").auc);
  EXPECT_EQ(to_json(*cmp).at("deployed").as_string(), "personalised");
  EXPECT_NE(to_markdown(*cmp).find("personalised AUC"), std::string::npos);

  // cn deploys its own model, keeps the global one beside it, and its parameters are nowhere else.
  auto deployed = load_checkpoint(env_.region_store("cn"), kFederatedModel);
  auto global = load_checkpoint(env_.region_store("cn"), kFederatedGlobalModel);
  ASSERT_TRUE(deployed.is_ok() && global.is_ok());
  EXPECT_EQ(deployed->meta.kind, kPersonalisedKind);
  EXPECT_NE(deployed->weights, global->weights);
  const std::vector<float>& first = deployed->weights.tensors.front().values;
  const std::string parameters(reinterpret_cast<const char*>(first.data()), first.size() * sizeof(float));
  EXPECT_EQ(everything_outside("cn").find(parameters), std::string::npos) << "cn's personalised parameters left cn";
}

TEST_F(PersonalisedFederationTest, PersonalisationIsDeterministicPerSeed) {
  FederationOptions o = options();
  o.rounds = 1;
  o.personal = TrainOptions{.epochs = 2, .seed = 11};
  ASSERT_TRUE(run(o).is_ok());
  const ModelWeights first = load_checkpoint(env_.region_store("us"), kFederatedModel).value().weights;
  o.run_id = "t2";
  ASSERT_TRUE(run(o).is_ok());
  EXPECT_EQ(load_checkpoint(env_.region_store("us"), kFederatedModel).value().weights, first);
}

TEST_F(FederationTest, DifferentialPrivacyReportsEpsilonAndStillLearns) {
  FederationOptions o = options();
  o.dp = DpOptions{.clip = 5.0, .noise_multiplier = 0.05};
  auto report = run(o);
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  ASSERT_TRUE(report->epsilon);
  EXPECT_DOUBLE_EQ(*report->epsilon, gaussian_epsilon(0.05, 3, 1e-5));
  EXPECT_GT(report->test.at("us").auc.value(), 0.7);
}

TEST_F(FederationTest, RefusesBadOptions) {
  FederationOptions o = options();
  o.aggregator = "mars";
  EXPECT_EQ(run(o).status().code(), Code::kInvalidArgument);
  o = options();
  o.legal_basis.clear();
  EXPECT_EQ(run(o).status().code(), Code::kInvalidArgument);
  o = options();
  o.regions = {"cn", "cn", "eu"};
  EXPECT_EQ(run(o).status().code(), Code::kInvalidArgument);
  o = options();
  o.personal = TrainOptions{.epochs = 0};
  EXPECT_EQ(run(o).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(load_checkpoint(env_.region_store("eu"), kFederatedModel).status().code(), Code::kNotFound);
}

class FederationWithoutAutoApproval : public FederationTest {
 protected:
  FederationWithoutAutoApproval() : FederationTest(false) {}
};

// Without policy approval every weights transfer would wait for two people, which a run cannot
// do: it refuses before requesting anything, so no transfer is left `requested` (issue 20).
TEST_F(FederationWithoutAutoApproval, RefusesBeforeRequestingAnyTransfer) {
  auto report = run(options());
  EXPECT_EQ(report.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(report.status().message().find("12 model.weights transfers"), std::string::npos) << report.status().to_string();
  EXPECT_NE(report.status().message().find("auto_approve_model_weights = true"), std::string::npos);
  auto transfers = env_.service().list(operator_);
  ASSERT_TRUE(transfers.is_ok()) << transfers.status().to_string();
  EXPECT_TRUE(transfers->empty()) << transfers->size() << " transfer(s) requested";
  for (const auto& r : kRegions) {
    EXPECT_EQ(load_checkpoint(env_.region_store(r), kFederatedModel).status().code(), Code::kNotFound);
    EXPECT_EQ(env_.service().get_artifact(r, "fed-t1-r1-" + r + "-update").status().code(), Code::kNotFound);
  }
}

// A federation of the aggregator alone moves nothing, so it needs no approval.
TEST_F(FederationWithoutAutoApproval, ARunOfOneRegionNeedsNoApproval) {
  FederationOptions o = options();
  o.regions = {"eu"};
  auto report = run(o);
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  EXPECT_TRUE(report->transfer_ids.empty());
  EXPECT_TRUE(load_checkpoint(env_.region_store("eu"), kFederatedModel).is_ok());
}

}  // namespace
}  // namespace fleetgate::learning
