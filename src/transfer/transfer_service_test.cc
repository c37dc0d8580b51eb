#include "fleetgate/transfer/transfer_service.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "fleetgate/core/digest.h"
#include "fleetgate/transfer/bundle.h"
#include "fleetgate/transfer/signing_key.h"
#include "fleetgate/transfer/transfer_test_env.h"

namespace fleetgate::transfer {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

const std::string kVinA = "LRW3E7FAXPC245871";
const std::string kVinB = "LRW3E7FA1PC245872";

class TransferServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env.put_record("cn", drive(kVinA, kT0 + 1000, 31.2304123, 121.4737456, 42.0));
    env.put_record("cn", drive(kVinB, kT0 + 2000, 31.2311987, 121.4741321, 61.0));
    env.put_record("cn", drive(kVinA, kT0 + 2 * kDay, 31.3, 121.5));  // outside the selection
  }

  std::string approved_cn_to_eu(TransferRequest req) {
    auto id = env.service().request(env.olga, std::move(req));
    EXPECT_TRUE(id.is_ok()) << id.status().to_string();
    EXPECT_TRUE(env.service().approve(env.abe, *id).is_ok());
    EXPECT_TRUE(env.service().approve(env.dora, *id).is_ok());
    return *id;
  }

  std::vector<std::string> actions() {
    std::vector<std::string> out;
    auto entries = env.audit().read(1, 1000);
    EXPECT_TRUE(entries.is_ok());
    for (const auto& e : entries.value()) out.push_back(e.action);
    return out;
  }

  TransferEnv env;
};

TEST_F(TransferServiceTest, RequestTwoApprovalsExportVerifyImport) {
  auto id = env.service().request(env.olga, env.cn_to_eu());
  ASSERT_TRUE(id.is_ok()) << id.status().to_string();
  EXPECT_EQ(env.service().get(*id)->state, State::kRequested);
  ASSERT_TRUE(env.service().approve(env.abe, *id).is_ok());
  EXPECT_EQ(env.service().get(*id)->state, State::kRequested) << "one approval is not enough";
  EXPECT_EQ(env.service().export_bundle(*id, env.out()).status().code(), Code::kFailedPrecondition);
  ASSERT_TRUE(env.service().approve(env.dora, *id).is_ok());
  EXPECT_EQ(env.service().get(*id)->state, State::kApproved);

  auto bundle = env.service().export_bundle(*id, env.out(), "cli:test");
  ASSERT_TRUE(bundle.is_ok()) << bundle.status().to_string();
  EXPECT_EQ(*bundle, env.out() / *id);
  auto manifest = env.service().verify_bundle(*bundle);
  ASSERT_TRUE(manifest.is_ok()) << manifest.status().to_string();
  EXPECT_EQ(manifest->records, 2u);
  EXPECT_EQ(manifest->vehicles, 2u);
  EXPECT_EQ(manifest->source_region, "cn");
  EXPECT_EQ(manifest->dest_region, "eu");
  EXPECT_EQ(manifest->fields, (std::vector<std::string>{"speed", "location"}));
  EXPECT_EQ(manifest->approvers, (std::vector<std::string>{"abe", "dora"}));
  EXPECT_TRUE(manifest->files.contains("records.jsonl"));

  EXPECT_EQ(env.service().import_bundle(*bundle, "us").status().code(), Code::kPermissionDenied);
  auto imported = env.service().import_bundle(*bundle, "eu", "cli:test");
  ASSERT_TRUE(imported.is_ok()) << imported.status().to_string();
  EXPECT_EQ(imported->records, 2u);
  EXPECT_EQ(env.service().get(*id)->state, State::kImported);
  EXPECT_EQ(env.service().import_bundle(*bundle, "eu").status().code(), Code::kAlreadyExists);

  size_t stored = 0;
  for (auto it = env.region_store("eu").scan("imported/" + *id + "/records/"); it->valid(); it->next()) ++stored;
  EXPECT_EQ(stored, 2u);
  EXPECT_EQ(actions(), (std::vector<std::string>{"transfer.request", "transfer.approve", "transfer.refuse",
                                                 "transfer.approve", "transfer.export", "transfer.refuse",
                                                 "transfer.import", "transfer.refuse"}));
  EXPECT_TRUE(env.audit().verify()->intact());
}

TEST_F(TransferServiceTest, ExportHoldsOnlyApprovedFieldsDesensitised) {
  const std::string id = approved_cn_to_eu(env.cn_to_eu({"location"}));
  auto bundle = env.service().export_bundle(id, env.out());
  ASSERT_TRUE(bundle.is_ok()) << bundle.status().to_string();
  auto content = read_bundle(*bundle, *env.service().public_key("cn"));
  ASSERT_TRUE(content.is_ok());
  const std::string& jsonl = content->files.at("records.jsonl");
  EXPECT_EQ(jsonl.find(kVinA), std::string::npos);
  EXPECT_EQ(jsonl.find("speed"), std::string::npos);
  EXPECT_EQ(jsonl.find("heading"), std::string::npos);
  EXPECT_EQ(jsonl.find("121.4737456"), std::string::npos);
  const json::value first = json::parse(jsonl.substr(0, jsonl.find('\n')));
  EXPECT_TRUE(first.at("vehicle").as_string().starts_with("t_"));
  EXPECT_EQ(first.at("time_bucket_ms").as_int64() % (15 * 60 * 1000), 0);
  const auto& loc = first.at("data").as_array().at(0).at("value");
  EXPECT_NEAR(loc.at("lat").as_double(), 31.235, 1e-9);
  EXPECT_NEAR(loc.at("lon").as_double(), 121.475, 1e-9);
}

TEST_F(TransferServiceTest, ExportWritesNumbersAsPeopleDo) {
  env.put_record("cn", drive(kVinA, kT0 + 3000, 31.2304123, 121.4737456, 422.13294228321837));
  const std::string id = approved_cn_to_eu(env.cn_to_eu());
  auto bundle = env.service().export_bundle(id, env.out());
  ASSERT_TRUE(bundle.is_ok()) << bundle.status().to_string();
  auto content = read_bundle(*bundle, *env.service().public_key("cn"));
  ASSERT_TRUE(content.is_ok());
  const std::string& jsonl = content->files.at("records.jsonl");
  EXPECT_NE(jsonl.find(R"({"field":"location","value":{"lat":31.235,"lon":121.475}})"), std::string::npos)
      << "0.01° cell centres in decimal: " << jsonl;
  EXPECT_NE(jsonl.find(R"({"field":"speed","value":42})"), std::string::npos) << jsonl;
  EXPECT_NE(jsonl.find(R"({"field":"speed","value":422.13294228321837})"), std::string::npos) << jsonl;
  std::istringstream lines(jsonl);
  for (std::string line; std::getline(lines, line);) {
    const std::string data = line.substr(line.find(R"("data":)"));  // the pseudonym is hex: may hold "1e5"
    EXPECT_FALSE(std::regex_search(data, std::regex("[0-9][eE][-+]?[0-9]"))) << "no exponent: " << line;
  }
}

TEST_F(TransferServiceTest, TwoTransfersCannotBeJoinedByPseudonym) {
  auto pseudonyms = [&](const std::string& id) {
    auto bundle = env.service().export_bundle(id, env.out());
    EXPECT_TRUE(bundle.is_ok()) << bundle.status().to_string();
    auto content = read_bundle(*bundle, *env.service().public_key("cn"));
    std::set<std::string> out;
    std::istringstream lines(content->files.at("records.jsonl"));
    for (std::string line; std::getline(lines, line);) out.insert(std::string(json::parse(line).at("vehicle").as_string()));
    return out;
  };
  const auto first = pseudonyms(approved_cn_to_eu(env.cn_to_eu()));
  const auto second = pseudonyms(approved_cn_to_eu(env.cn_to_eu()));
  EXPECT_EQ(first.size(), 2u);
  for (const auto& p : first) EXPECT_FALSE(second.contains(p));
}

TEST_F(TransferServiceTest, SelectionByVinAndTime) {
  TransferRequest req = env.cn_to_eu();
  req.selection.vins = {kVinB};
  auto bundle = env.service().export_bundle(approved_cn_to_eu(req), env.out());
  ASSERT_TRUE(bundle.is_ok());
  EXPECT_EQ(env.service().verify_bundle(*bundle)->records, 1u);
}

TEST_F(TransferServiceTest, SmallGroupsAreSuppressed) {
  // Three more vehicles in the cell and bucket of kVinA and kVinB; one vehicle alone in another cell.
  for (int i = 0; i < 3; ++i) env.put_record("cn", drive("LRW3E7FA1PC24590" + std::to_string(i), kT0 + 3000 + i, 31.2309, 121.4702));
  env.put_record("cn", drive("LRW3E7FA1PC245999", kT0 + 4000, 31.4001, 121.6001));
  TransferRequest req = env.cn_to_eu();
  req.min_group_size = 3;
  auto bundle = env.service().export_bundle(approved_cn_to_eu(req), env.out());
  ASSERT_TRUE(bundle.is_ok()) << bundle.status().to_string();
  auto m = env.service().verify_bundle(*bundle);
  EXPECT_EQ(m->records, 5u);
  EXPECT_EQ(m->vehicles, 5u);
  EXPECT_EQ(m->suppressed, 1u);
  EXPECT_EQ(m->min_group_size, 3u);
}

TEST_F(TransferServiceTest, SelfApprovalIsRefusedAndAudited) {
  const http::Principal both = person("pat", {"operator", "dpo"}, {"cn"});
  auto id = env.service().request(both, env.cn_to_eu());
  ASSERT_TRUE(id.is_ok());
  Status s = env.service().approve(both, *id);
  EXPECT_EQ(s.code(), Code::kPermissionDenied);
  EXPECT_NE(s.message().find("own transfer"), std::string::npos);
  EXPECT_EQ(actions().back(), "transfer.refuse");
}

TEST_F(TransferServiceTest, ApprovalRules) {
  auto id = env.service().request(env.olga, env.cn_to_eu());
  ASSERT_TRUE(id.is_ok());
  EXPECT_EQ(env.service().approve(env.ezra, *id).code(), Code::kPermissionDenied) << "dpo of another region";
  EXPECT_EQ(env.service().approve(env.olga, *id).code(), Code::kPermissionDenied) << "operator role";
  ASSERT_TRUE(env.service().approve(env.abe, *id).is_ok());
  EXPECT_EQ(env.service().approve(env.abe, *id).code(), Code::kPermissionDenied) << "same approver twice";
  const http::Principal ann = person("ann", {"approver"}, {"*"});
  EXPECT_EQ(env.service().approve(ann, *id).code(), Code::kPermissionDenied) << "no dpo among the two";
  EXPECT_EQ(env.service().get(*id)->state, State::kRequested);
  EXPECT_TRUE(env.service().approve(env.dora, *id).is_ok());
  EXPECT_EQ(env.service().approve(ann, *id).code(), Code::kFailedPrecondition) << "already approved";
}

TEST_F(TransferServiceTest, RequestChecks) {
  TransferRequest personal = env.cn_to_eu();
  personal.data_class = residency::DataClass::kPersonalTelemetry;
  Status s = env.service().request(env.olga, personal).status();
  EXPECT_EQ(s.code(), Code::kPermissionDenied);
  EXPECT_NE(s.message().find("personal.telemetry"), std::string::npos) << s.message();
  EXPECT_EQ(actions().back(), "transfer.refuse");

  EXPECT_EQ(env.service().request(person("uma", {"operator"}, {"us"}), env.cn_to_eu()).status().code(), Code::kPermissionDenied);
  EXPECT_EQ(env.service().request(env.abe, env.cn_to_eu()).status().code(), Code::kPermissionDenied);
  TransferRequest bad = env.cn_to_eu({"speed", "sped"});
  EXPECT_EQ(env.service().request(env.olga, bad).status().code(), Code::kInvalidArgument);
  bad = env.cn_to_eu();
  bad.assessment_ref.clear();
  EXPECT_EQ(env.service().request(env.olga, bad).status().code(), Code::kInvalidArgument);
  bad = env.cn_to_eu();
  bad.expires_at_ms = env.now_ms - 1;
  EXPECT_EQ(env.service().request(env.olga, bad).status().code(), Code::kInvalidArgument);
  bad = env.cn_to_eu();
  bad.dest_region = "cn";
  EXPECT_EQ(env.service().request(env.olga, bad).status().code(), Code::kInvalidArgument);
  bad = env.cn_to_eu();
  bad.dest_region = "mars";
  EXPECT_EQ(env.service().request(env.olga, bad).status().code(), Code::kInvalidArgument);
}

TEST_F(TransferServiceTest, RejectionAndExpiryEndATransfer) {
  auto rejected = env.service().request(env.olga, env.cn_to_eu());
  EXPECT_EQ(env.service().reject(env.dora, *rejected, "").code(), Code::kInvalidArgument);
  ASSERT_TRUE(env.service().reject(env.dora, *rejected, "purpose too broad").is_ok());
  EXPECT_EQ(env.service().get(*rejected)->state, State::kRejected);
  EXPECT_EQ(env.service().approve(env.abe, *rejected).code(), Code::kFailedPrecondition);

  const std::string approved = approved_cn_to_eu(env.cn_to_eu());
  env.now_ms += 8 * kDay;
  EXPECT_EQ(env.service().export_bundle(approved, env.out()).status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(env.service().get(approved)->state, State::kExpired);
  EXPECT_FALSE(fs::exists(env.out() / approved));
  const auto a = actions();
  EXPECT_NE(std::find(a.begin(), a.end(), "transfer.expire"), a.end());
  EXPECT_NE(std::find(a.begin(), a.end(), "transfer.reject"), a.end());
}

TEST_F(TransferServiceTest, ExportNeverReplacesABundle) {
  const std::string id = approved_cn_to_eu(env.cn_to_eu());
  fs::create_directories(env.out() / id);
  EXPECT_EQ(env.service().export_bundle(id, env.out()).status().code(), Code::kAlreadyExists);
  EXPECT_EQ(env.service().get(id)->state, State::kApproved);
  for (const auto& e : fs::directory_iterator(env.out())) EXPECT_EQ(e.path().filename(), id) << "left a temp dir";
}

TEST_F(TransferServiceTest, ModelWeightsCarryTheArtifact) {
  ASSERT_TRUE(env.service().put_artifact("cn", "lane-model.pt", std::string("\x00\x01weights", 9)).is_ok());
  EXPECT_EQ(env.service().put_artifact("cn", "../x", "w").code(), Code::kInvalidArgument);
  TransferRequest req = env.cn_to_eu({});
  req.data_class = residency::DataClass::kModelWeights;
  req.artifact = "missing.pt";
  EXPECT_EQ(env.service().request(env.olga, req).status().code(), Code::kNotFound);
  req.artifact = "lane-model.pt";
  auto id = env.service().request(env.olga, req);
  ASSERT_TRUE(id.is_ok()) << id.status().to_string();
  EXPECT_EQ(env.service().get(*id)->state, State::kRequested) << "no auto-approval unless configured";
  ASSERT_TRUE(env.service().approve(env.dora, *id).is_ok());
  ASSERT_TRUE(env.service().approve(env.abe, *id).is_ok());
  auto bundle = env.service().export_bundle(*id, env.out());
  ASSERT_TRUE(bundle.is_ok()) << bundle.status().to_string();
  EXPECT_TRUE(fs::exists(*bundle / "weights.bin"));
  auto imported = env.service().import_bundle(*bundle, "eu");
  ASSERT_TRUE(imported.is_ok()) << imported.status().to_string();
  EXPECT_EQ(imported->artifact, std::string("\x00\x01weights", 9));
  EXPECT_EQ(*env.region_store("eu").get("imported/" + *id + "/artifact"), imported->artifact);
}

TEST(TransferAutoApproval, PolicyApprovesModelWeightsAndIsAudited) {
  TransferOptions options;
  options.auto_approve_model_weights = true;
  TransferEnv env(options);
  ASSERT_TRUE(env.service().put_artifact("cn", "ckpt-1", "w").is_ok());
  TransferRequest req = env.cn_to_eu({});
  req.data_class = residency::DataClass::kModelWeights;
  req.artifact = "ckpt-1";
  auto id = env.service().request(env.olga, req);
  ASSERT_TRUE(id.is_ok());
  auto t = env.service().get(*id);
  EXPECT_EQ(t->state, State::kApproved);
  ASSERT_EQ(t->approvals.size(), 1u);
  EXPECT_EQ(t->approvals[0].approver, "policy");
  auto last = env.audit().tail(1);
  EXPECT_EQ(last->at(0).actor, "policy");
  EXPECT_EQ(last->at(0).action, "transfer.approve");
  auto desensitised = env.service().request(env.olga, env.cn_to_eu());
  EXPECT_EQ(env.service().get(*desensitised)->state, State::kRequested) << "telemetry always needs people";
}

TEST_F(TransferServiceTest, ListShowsTransfersOfTheCallersRegions) {
  auto id = env.service().request(env.olga, env.cn_to_eu());
  ASSERT_TRUE(id.is_ok());
  EXPECT_EQ(env.service().list(env.abe)->size(), 1u);
  EXPECT_EQ(env.service().list(env.ezra)->size(), 1u) << "eu is the destination";
  EXPECT_EQ(env.service().list(person("uma", {"auditor"}, {"us"}))->size(), 0u);
  EXPECT_EQ(env.service().get("tr_nope").status().code(), Code::kNotFound);
}

TEST_F(TransferServiceTest, SigningKeyFileIsPrivate) {
  auto pem = env.service().public_key("cn");
  ASSERT_TRUE(pem.is_ok());
  EXPECT_TRUE(pem->starts_with("-----BEGIN PUBLIC KEY-----"));
  struct stat st {};
  ASSERT_EQ(::stat((env.dir() / "cn" / kSigningKeyFileName).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(*env.service().public_key("cn"), *pem) << "stable across calls";
  EXPECT_NE(*env.service().public_key("eu"), *pem);
}

TEST(SigningKey, RefusesAKeyFileOthersCanRead) {
  store::TestDir dir;
  ASSERT_TRUE(SigningKey::open(dir.path()).is_ok());
  ASSERT_EQ(::chmod((dir.path() / kSigningKeyFileName).c_str(), 0644), 0);
  EXPECT_EQ(SigningKey::open(dir.path()).status().code(), Code::kFailedPrecondition);
}

TEST(TransferConfig, AutoApprovalIsATypedSetting) {
  const std::string base = "[[regions]]\nid = \"cn\"\nchain = [\"o\"]\n[[providers]]\nid = \"o\"\nkind = \"onboard\"\nlocation = \"vehicle\"\nmodels = [\"m\"]\n[markets]\nCN = \"cn\"\n";
  auto on = config::parse_config(base + "[transfer]\nauto_approve_model_weights = true\n", "x.toml");
  ASSERT_TRUE(on.is_ok()) << on.status().to_string();
  EXPECT_TRUE(on->transfer.auto_approve_model_weights);
  EXPECT_FALSE(config::parse_config(base, "x.toml")->transfer.auto_approve_model_weights);
  EXPECT_EQ(config::parse_config(base + "[transfer]\nauto_approve_model_weights = 1\n", "x.toml").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(config::parse_config(base + "[transfer]\nauto_approve = true\n", "x.toml").status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace fleetgate::transfer
