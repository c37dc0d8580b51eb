// Properties of the transfer workflow under random sequences of API calls (fixed seeds, so a
// failure replays): nothing raw or unapproved ever leaves a region, approvals follow the rules,
// bundles cannot be altered unnoticed, and the audit chain notices edits to transfer entries.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include "fleetgate/privacy/coarsen.h"
#include "fleetgate/transfer/bundle.h"
#include "fleetgate/transfer/file_io.h"
#include "fleetgate/transfer/signing_key.h"
#include "fleetgate/transfer/transfer_test_env.h"

namespace fleetgate::transfer {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

const std::vector<std::string> kFieldNames = {"speed", "location", "state_of_charge", "gear", "odometer"};

class RandomWorkflow {
 public:
  explicit RandomWorkflow(uint32_t seed) : rng_(seed) {
    for (int v = 0; v < 6; ++v) {
      const std::string vin = "LRW3E7FA" + std::to_string(100000000 + v * 7919);
      vins_.push_back(vin);
      for (int i = 0; i < 12; ++i) {
        const int64_t t = kT0 + static_cast<int64_t>(uniform(0, kDay / 1000)) * 1000;
        const double lat = 31.0 + uniform(0, 1'000'000) * 1e-7 + 1.234e-8;
        const double lon = 121.0 + uniform(0, 1'000'000) * 1e-7 + 5.678e-8;
        env_.put_record("cn", drive(vin, t, lat, lon, static_cast<double>(uniform(0, 120))));
        raw_points_.insert({lat, lon});
      }
    }
  }

  // One random call; checks the invariants of whatever it returned.
  void step() {
    const uint64_t dice = uniform(0, 99);
    if (dice < 20) return request();
    if (dice < 55) return approve();
    if (dice < 60) return reject();
    if (dice < 80) return export_one();
    if (dice < 95) return import_one();
    env_.now_ms += static_cast<int64_t>(uniform(0, 2)) * kDay;
  }

  size_t exports() const { return exported_.size(); }
  TransferEnv& env() { return env_; }
  const std::vector<fs::path>& bundles() const { return exported_; }
  std::mt19937& rng() { return rng_; }

 private:
  uint64_t uniform(uint64_t lo, uint64_t hi) { return std::uniform_int_distribution<uint64_t>(lo, hi)(rng_); }
  template <typename T>
  const T& pick(const std::vector<T>& items) { return items[uniform(0, items.size() - 1)]; }

  void request() {
    TransferRequest r = env_.cn_to_eu({});
    std::vector<std::string> fields;
    for (const auto& f : kFieldNames) {
      if (uniform(0, 1) == 1) fields.push_back(f);
    }
    r.fields = fields;
    r.data_class = pick(std::vector<residency::DataClass>{residency::DataClass::kDesensitised, residency::DataClass::kDesensitised,
                                                         residency::DataClass::kDesensitised, residency::DataClass::kPersonalTelemetry});
    r.dest_region = pick(std::vector<std::string>{"eu", "us", "eu", "cn"});
    r.selection = {kT0 + static_cast<int64_t>(uniform(0, 12)) * 3'600'000, kT0 + kDay, {}};
    if (uniform(0, 2) == 0) r.selection.vins = {pick(vins_)};
    r.min_group_size = static_cast<uint32_t>(uniform(0, 3));
    r.expires_at_ms = env_.now_ms + static_cast<int64_t>(uniform(0, 4)) * kDay + 1;
    auto id = env_.service().request(pick(people_), r);
    if (!id.is_ok()) return;
    EXPECT_NE(r.data_class, residency::DataClass::kPersonalTelemetry) << "raw personal class accepted";
    EXPECT_FALSE(r.fields.empty());
    ids_.push_back(*id);
  }

  void approve() {
    if (ids_.empty()) return;
    const std::string& id = pick(ids_);
    const http::Principal& who = pick(people_);
    if (!env_.service().approve(who, id).is_ok()) return;
    auto t = env_.service().get(id);
    ASSERT_TRUE(t.is_ok());
    EXPECT_NE(who.subject, t->requester) << "self-approval accepted";
    EXPECT_TRUE(who.may_act_in("cn"));
    EXPECT_TRUE(who.has_role("approver") || who.has_role("dpo"));
  }

  void reject() {
    if (ids_.empty()) return;
    (void)env_.service().reject(pick(people_), pick(ids_), "not needed");
  }

  void export_one() {
    if (ids_.empty()) return;
    const std::string id = pick(ids_);
    auto bundle = env_.service().export_bundle(id, env_.out());
    if (!bundle.is_ok()) {
      const State state = env_.service().get(id)->state;
      EXPECT_FALSE(fs::exists(env_.out() / id) && state != State::kExported && state != State::kImported)
          << "a failed export left a bundle: " << bundle.status().to_string();
      return;
    }
    auto t = env_.service().get(id);
    ASSERT_TRUE(t.is_ok());
    check_approvals(*t);
    check_content(*bundle, *t);
    exported_.push_back(*bundle);
  }

  void import_one() {
    if (exported_.empty()) return;
    const fs::path bundle = pick(exported_);
    const std::string dest = pick(std::vector<std::string>{"eu", "us", "cn"});
    auto result = env_.service().import_bundle(bundle, dest);
    if (!result.is_ok()) return;
    EXPECT_EQ(result->manifest.dest_region, dest);
    EXPECT_TRUE(imported_.insert(result->manifest.transfer_id).second) << "imported twice";
  }

  void check_approvals(const Transfer& t) {
    std::set<std::string> people;
    bool dpo = false;
    for (const auto& a : t.approvals) {
      people.insert(a.approver);
      dpo = dpo || a.role == "dpo";
      EXPECT_NE(a.approver, t.requester);
    }
    EXPECT_GE(people.size(), 2u) << "exported with a single approval";
    EXPECT_TRUE(dpo) << "exported without a dpo";
  }

  void check_content(const fs::path& bundle, const Transfer& t) {
    auto content = read_bundle(bundle, *env_.service().public_key("cn"));
    ASSERT_TRUE(content.is_ok()) << content.status().to_string();
    for (const auto& [name, bytes] : content->files) {
      for (const auto& vin : vins_) EXPECT_EQ(bytes.find(vin), std::string::npos) << "raw VIN in " << name;
    }
    for (const auto& vin : vins_) EXPECT_EQ(content->manifest_bytes.find(vin), std::string::npos);
    const std::set<std::string> approved(t.request.fields.begin(), t.request.fields.end());
    std::istringstream lines(content->files.at(std::string(kRecordsFile)));
    for (std::string line; std::getline(lines, line);) {
      const json::object o = json::parse(line).as_object();
      EXPECT_EQ(o.size(), 3u);
      EXPECT_TRUE(o.at("vehicle").as_string().starts_with("t_"));
      for (const auto& d : o.at("data").as_array()) {
        const std::string field(d.at("field").as_string());
        EXPECT_TRUE(approved.contains(field)) << "unapproved field " << field;
        if (field != "location") continue;
        const auto& v = d.at("value").as_object();
        const privacy::LatLon p{v.at("lat").as_double(), v.at("lon").as_double()};
        EXPECT_EQ(coarsener_.snap(p), p) << "location is not a grid centre";
        EXPECT_FALSE(raw_points_.contains({p.lat, p.lon})) << "exact location exported";
        EXPECT_FALSE(v.contains("heading"));
      }
    }
  }

  std::mt19937 rng_;
  TransferEnv env_;
  privacy::Coarsener coarsener_ = std::move(privacy::Coarsener::create({})).value();
  std::vector<std::string> vins_;
  std::set<std::pair<double, double>> raw_points_;
  const std::vector<http::Principal> people_ = {
      person("olga", {"operator"}, {"cn"}),        person("abe", {"approver"}, {"cn"}),
      person("dora", {"dpo"}, {"cn"}),             person("pat", {"operator", "dpo"}, {"cn"}),
      person("ann", {"approver"}, {"*"}),          person("ezra", {"approver", "dpo"}, {"eu"}),
      person("uma", {"operator", "auditor"}, {"us"})};
  std::vector<std::string> ids_;
  std::vector<fs::path> exported_;
  std::set<std::string> imported_;
};

class TransferProperties : public ::testing::TestWithParam<uint32_t> {};

TEST_P(TransferProperties, RandomCallsNeverLeakAndFollowTheRules) {
  RandomWorkflow w(GetParam());
  for (int i = 0; i < 120 && !HasFatalFailure(); ++i) w.step();
  EXPECT_TRUE(w.env().audit().verify()->intact());
  EXPECT_GT(w.exports(), 0u) << "the walk never reached an export: the properties were not exercised";
  RecordProperty("exports", static_cast<int>(w.exports()));
}

// Flips one byte of a random content or manifest file, truncates one, or adds a stray file.
void damage(const fs::path& bundle, std::mt19937& rng, int how) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(bundle)) files.push_back(e.path());
  const fs::path victim = files[std::uniform_int_distribution<size_t>(0, files.size() - 1)(rng)];
  std::string bytes = *detail::read_file(victim, UINT64_MAX);
  switch (how) {
    case 0:
      if (bytes.empty()) bytes = "x";
      else bytes[std::uniform_int_distribution<size_t>(0, bytes.size() - 1)(rng)] ^= 0x20;
      break;
    case 1:
      bytes.resize(bytes.size() / 2);
      break;
    default:
      std::ofstream(bundle / "extra.txt") << "x";
      return;
  }
  std::ofstream(victim, std::ios::binary | std::ios::trunc) << bytes;
}

TEST_P(TransferProperties, DamagedOrResignedBundlesFailVerification) {
  RandomWorkflow w(GetParam());
  TransferEnv& env = w.env();
  std::vector<fs::path> bundles;
  for (int i = 0; i < 3; ++i) {
    auto id = env.service().request(env.olga, env.cn_to_eu());
    ASSERT_TRUE(env.service().approve(env.abe, *id).is_ok());
    ASSERT_TRUE(env.service().approve(env.dora, *id).is_ok());
    bundles.push_back(*env.service().export_bundle(*id, env.out()));
    ASSERT_TRUE(env.service().verify_bundle(bundles.back()).is_ok());
  }
  damage(bundles[0], w.rng(), 0);
  damage(bundles[1], w.rng(), 1 + static_cast<int>(GetParam() % 2));
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(env.service().verify_bundle(bundles[i]).status().code(), Code::kDataLoss) << bundles[i];
    EXPECT_FALSE(env.service().import_bundle(bundles[i], "eu").is_ok());
  }

  // Re-signed: altered records under a manifest signed by a key that is not cn's.
  store::TestDir other;
  auto foreign = SigningKey::open(other.path());
  auto original = read_bundle(bundles[2], *env.service().public_key("cn"));
  ASSERT_TRUE(original.is_ok());
  std::map<std::string, std::string> files = original->files;
  files.at(std::string(kRecordsFile)) += files.at(std::string(kRecordsFile));
  Manifest m = original->manifest;
  m.records *= 2;
  auto forged = publish_bundle(other.path() / "out", m.transfer_id, m, files, **foreign);
  ASSERT_TRUE(forged.is_ok());
  const fs::path forged_path = other.path() / "out" / m.transfer_id;
  EXPECT_EQ(env.service().verify_bundle(forged_path).status().code(), Code::kDataLoss);
  EXPECT_FALSE(env.service().import_bundle(forged_path, "eu").is_ok());
  EXPECT_TRUE(env.service().import_bundle(bundles[2], "eu").is_ok()) << "the genuine bundle still imports";
}

TEST_P(TransferProperties, AuditVerifyDetectsEditsToTransferEntries) {
  RandomWorkflow w(GetParam());
  for (int i = 0; i < 60; ++i) w.step();
  audit::AuditLog& audit = w.env().audit();
  std::vector<audit::Entry> transfer_entries;
  auto entries = audit.read(1, 100000);
  ASSERT_TRUE(entries.is_ok());
  for (const auto& e : entries.value()) {
    if (e.action.starts_with("transfer.")) transfer_entries.push_back(e);
  }
  ASSERT_FALSE(transfer_entries.empty());
  const audit::Entry victim =
      transfer_entries[std::uniform_int_distribution<size_t>(0, transfer_entries.size() - 1)(w.rng())];
  // Rewrite the stored entry with another actor, as someone with store access might.
  std::string key = "audit/entry/";
  for (int shift = 56; shift >= 0; shift -= 8) key.push_back(static_cast<char>((victim.seq >> shift) & 0xFF));
  auto stored = w.env().control().get(key);
  ASSERT_TRUE(stored.is_ok());
  const std::string edited_actor = victim.actor == "user:mallory" ? "user:trent" : "user:mallory";
  std::string text = *stored;
  const size_t at = text.find(victim.actor);
  ASSERT_NE(at, std::string::npos);
  text.replace(at, victim.actor.size(), edited_actor);
  ASSERT_TRUE(w.env().control().put(key, text).is_ok());
  auto report = audit.verify();
  ASSERT_TRUE(report.is_ok());
  EXPECT_FALSE(report->intact());
  EXPECT_EQ(report->bad_seq, victim.seq) << report->problem;
}

INSTANTIATE_TEST_SUITE_P(Seeds, TransferProperties, ::testing::Values(7u, 2026u));

}  // namespace
}  // namespace fleetgate::transfer
