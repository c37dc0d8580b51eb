// Erasure by crypto-shredding (README "Compliance", erasure) through the real service, on both
// backends: a DPO erases one of two cars over HTTP; a copy of the region's sealed telemetry taken
// before the erasure (what a backup of the data store holds) then opens for the other car only; the
// live store, the registry, the car's token and the audit chain keep nothing that names it.
#include "data_rights/data_rights_fixture.h"

namespace fleetgate {
namespace {

using namespace fleetgate::testing;
using ErasureTest = DataRightsTest;

TEST_F(ErasureTest, ACopyTakenBeforeTheErasureNoLongerOpensForTheErasedCar) {
  ASSERT_EQ(report(kErased, 1), 200u);
  ASSERT_EQ(report(kKept, 1), 200u);
  ASSERT_EQ(readable(kErased, 3).size(), 3u);
  ASSERT_EQ(readable(kKept, 3).size(), 3u);
  const std::string erased_pseudonym = *eu().codec().pseudonym(kErased);

  // The backup, and proof that before the erasure every block of it opens.
  const std::map<std::string, std::string> backup = copy_of_the_store();
  size_t erased_blocks = 0;
  for (const auto& [key, value] : backup) {
    std::vector<telemetry::Record> records;
    ASSERT_TRUE(eu().codec().decode(value, records).is_ok()) << key;
    if (key.starts_with(erased_pseudonym)) ++erased_blocks;
  }
  ASSERT_GT(erased_blocks, 0u);

  auto [status, body] = erase("dora", kErased, R"j({"reason":"owner request 2026-0042 (GDPR Art. 17)"})j");
  ASSERT_EQ(status, 200u) << json::serialize(body);
  EXPECT_EQ(body.at("pseudonym").as_string(), erased_pseudonym);
  EXPECT_EQ(body.at("region").as_string(), "eu");
  EXPECT_EQ(body.at("key_generation").as_int64(), 1);
  EXPECT_GE(body.at("telemetry_blocks").as_int64(), 1);
  EXPECT_TRUE(body.at("token_revoked").as_bool());

  // The backup: the erased car's blocks no longer open, with any key that exists; the other car's all do.
  size_t kept_records = 0;
  for (const auto& [key, value] : backup) {
    std::vector<telemetry::Record> records;
    Status s = eu().codec().decode(value, records);
    if (key.starts_with(erased_pseudonym)) {
      EXPECT_EQ(s.code(), Code::kNotFound) << key << ": " << s.to_string();
      EXPECT_NE(s.message().find("erased"), std::string::npos) << s.message();
      EXPECT_TRUE(records.empty());
    } else {
      ASSERT_TRUE(s.is_ok()) << key << ": " << s.to_string();
      for (const auto& r : records) EXPECT_EQ(r.vin, kKept);
      kept_records += records.size();
    }
    EXPECT_EQ(value.find(kErased), std::string::npos) << "a block holds the VIN in clear";
  }
  EXPECT_EQ(kept_records, 3u);

  // The live store keeps nothing of it; the other car is untouched.
  auto left = eu().read(kErased, 0, now_ms() + 60'000, 1000);
  ASSERT_TRUE(left.is_ok()) << left.status().to_string();
  EXPECT_TRUE(left->empty());
  EXPECT_EQ(eu().latest(kErased).status().code(), Code::kNotFound);
  EXPECT_EQ(readable(kKept, 3).size(), 3u);
  for (const auto& [key, value] : copy_of_the_store()) EXPECT_FALSE(key.starts_with(erased_pseudonym)) << key;

  // The registry holds a tombstone, not the VIN; the car's token is refused; the audit entry names
  // the pseudonym and the reason, not the VIN.
  auto& cp = service_->control_plane();
  EXPECT_EQ(cp.registry->show(kErased).status().code(), Code::kNotFound);
  EXPECT_EQ(report(kErased, 10), 401u);
  auto tail = cp.audit->tail(1);
  ASSERT_TRUE(tail.is_ok() && tail->size() == 1);
  const audit::Entry& entry = tail->front();
  EXPECT_EQ(entry.action, "vehicle.erase");
  EXPECT_EQ(entry.subject, erased_pseudonym);
  EXPECT_EQ(entry.region, "eu");
  EXPECT_EQ(entry.actor, "user:dora");
  EXPECT_EQ(entry.details.at("reason").as_string(), "owner request 2026-0042 (GDPR Art. 17)");
  EXPECT_EQ(json::serialize(entry.details).find(kErased), std::string::npos);
  EXPECT_EQ(body.at("audit_seq").as_int64(), static_cast<int64_t>(entry.seq));
  // Erased once: the VIN is no longer registered.
  EXPECT_EQ(erase("dora", kErased, R"({"reason":"again"})").first, 404u);
}

TEST_F(ErasureTest, OnlyADpoOfTheCarsRegionErasesAndAReasonIsRequired) {
  EXPECT_EQ(erase("otto", kErased, R"({"reason":"x"})").first, 403u) << "operators and admins do not erase";
  EXPECT_EQ(erase("chen", kErased, R"({"reason":"x"})").first, 404u) << "a DPO of cn does not see eu's cars";
  EXPECT_EQ(erase("dora", kErased, R"({})").first, 400u);
  EXPECT_EQ(erase("dora", kErased, R"({"reason":"x","vin":"other"})").first, 400u);
  EXPECT_EQ(erase("dora", "NOTAVIN", R"({"reason":"x"})").first, 400u);
  EXPECT_TRUE(service_->control_plane().registry->show(kErased).is_ok()) << "nothing was erased";
  // A reason the audit chain would refuse is refused before anything is destroyed.
  ASSERT_EQ(report(kErased, 1), 200u);
  ASSERT_EQ(readable(kErased, 3).size(), 3u);
  EXPECT_EQ(erase("dora", kErased, R"({"reason":"ab"})").first, 400u);
  EXPECT_EQ(erase("dora", kErased, R"({"reason":")" + std::string(300, 'r') + R"("})").first, 400u);
  EXPECT_TRUE(service_->control_plane().registry->show(kErased).is_ok());
  EXPECT_EQ(readable(kErased, 3).size(), 3u) << "the car's data is still readable";
  EXPECT_EQ(report(kErased, 10), 200u) << "and its token still works";
}

TEST_F(ErasureTest, NothingOfTheCarIsSealedReadableAgainRightAfterItsErasure) {
  ASSERT_EQ(report(kErased, 1), 200u);
  ASSERT_EQ(readable(kErased, 3).size(), 3u);
  const std::map<std::string, std::string> before = copy_of_the_store();
  ASSERT_EQ(erase("dora", kErased, R"({"reason":"sold; the first owner's data"})").first, 200u);

  // Registered again at once (or a frame still in flight): for the quiet period after an
  // erasure no new key is made, so nothing of the car is stored readable. (A new key of the next
  // generation after it: VehicleKeys.AfterTheQuietPeriodAVehicleGetsAKeyOfTheNextGeneration.)
  auto& cp = service_->control_plane();
  ASSERT_TRUE(cp.registry->register_vehicle(kErased, "DE", "", "test").is_ok());
  tokens_[std::string(kErased)] = *cp.credentials->issue_vehicle_token(kErased, "eu", "test");
  EXPECT_NE(report(kErased, 100), 200u);
  auto left = eu().read(kErased, 0, now_ms() + 60'000, 1000);
  ASSERT_TRUE(left.is_ok()) << left.status().to_string();
  EXPECT_TRUE(left->empty());
  // The first owner's blocks stay sealed.
  const std::string pseudonym = *eu().codec().pseudonym(kErased);
  for (const auto& [key, value] : before) {
    if (!key.starts_with(pseudonym)) continue;
    std::vector<telemetry::Record> out;
    EXPECT_EQ(eu().codec().decode(value, out).code(), Code::kNotFound) << key;
  }
}

}  // namespace
}  // namespace fleetgate
