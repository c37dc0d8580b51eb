#include "fleetgate/vehicle/vin_directory.h"

#include <gtest/gtest.h>

#include "fleetgate/privacy/test_keys.h"
#include "fleetgate/store/embedded_store.h"
#include "fleetgate/store/test_dir.h"
#include "fleetgate/vehicle/registry_test_env.h"

namespace fleetgate::vehicle {
namespace {

constexpr const char* kShanghai = "LRW3E7EA8PC390117";
constexpr const char* kBerlin = "XP7YGCEK7PB021447";
constexpr const char* kAustin = "7SAYGDEE4RA101552";

// Fails the test when any key or value of `store` holds `vin`.
void expect_no_vin(const store::KvStore& store, std::string_view vin) {
  for (auto it = store.scan(""); it->valid(); it->next()) {
    EXPECT_EQ(it->key().find(vin), std::string_view::npos) << it->key();
    EXPECT_EQ(it->value().find(vin), std::string_view::npos) << it->key();
  }
}

class VinDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::open_embedded(dir_.path());
    ASSERT_TRUE(s.is_ok()) << s.status().to_string();
    store_ = std::move(s).value();
  }
  VinDirectory directory(uint8_t key_fill) {
    return VinDirectory(*store_, privacy::Pseudonymiser(privacy::fixed_keys("directory", key_fill)));
  }

  store::TestDir dir_;
  std::unique_ptr<store::KvStore> store_;
};

TEST_F(VinDirectoryTest, LocatesRecordedVinsAndHoldsNoVin) {
  VinDirectory d = directory(7);
  ASSERT_TRUE(d.record({{kShanghai, "cn"}, {kBerlin, "eu"}}).is_ok());
  EXPECT_EQ(d.locate(kShanghai).value(), "cn");
  EXPECT_EQ(d.locate(kBerlin).value(), "eu");
  EXPECT_EQ(d.locate(kAustin).status().code(), Code::kNotFound);
  expect_no_vin(*store_, kShanghai);
  expect_no_vin(*store_, kBerlin);
  size_t entries = 0;
  for (auto it = store_->scan(""); it->valid(); it->next(), ++entries) {
    EXPECT_TRUE(it->key().starts_with(kDirectoryPrefix)) << it->key();
  }
  EXPECT_EQ(entries, 2u);
}

TEST_F(VinDirectoryTest, RecordingAgainIsIdempotentAndARehomeMovesTheEntry) {
  VinDirectory d = directory(7);
  ASSERT_TRUE(d.record({{kBerlin, "eu"}}).is_ok());
  ASSERT_TRUE(d.record({{kBerlin, "eu"}}).is_ok());
  EXPECT_EQ(d.locate(kBerlin).value(), "eu");
  ASSERT_TRUE(d.record({{kBerlin, "us"}}).is_ok());
  EXPECT_EQ(d.locate(kBerlin).value(), "us");
}

TEST_F(VinDirectoryTest, AnotherKeyFindsNothing) {
  ASSERT_TRUE(directory(7).record({{kBerlin, "eu"}}).is_ok());
  EXPECT_EQ(directory(8).locate(kBerlin).status().code(), Code::kNotFound);
}

TEST(RegistryWithDirectory, RegistrationsImportsAndRehomesAreRecorded) {
  RegistryEnv env({}, /*with_directory=*/true);
  ASSERT_TRUE(env.registry().register_vehicle(kBerlin, "DE", "", "cli:test").is_ok());
  auto report = env.registry().import_csv("vin,market\nLRW3E7EA8PC390117,CN\n7SAYGDEE4RA101552,ZZ\n",
                                          {.actor = "cli:test"});
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  ASSERT_TRUE(env.registry().rehome(kBerlin, "US", "cli:test", "moved").is_ok());
  EXPECT_EQ(env.directory().locate(kShanghai).value(), "cn");
  EXPECT_EQ(env.directory().locate(kBerlin).value(), "us");
  EXPECT_EQ(env.directory().locate(kAustin).status().code(), Code::kNotFound) << "a bad row records nothing";
  // A refused registration (the VIN exists) leaves the entry as it was.
  EXPECT_EQ(env.registry().register_vehicle(kBerlin, "DE", "", "cli:test").status().code(), Code::kAlreadyExists);
  EXPECT_EQ(env.directory().locate(kBerlin).value(), "us");
}

// In the control store, an entry commits in the registration's own write: a registration that
// fails to commit (here on a damaged audit chain) leaves no entry.
TEST(RegistryWithDirectory, InTheControlStoreAnEntryCommitsWithItsRegistrationOrNotAtAll) {
  RegistryEnv env({}, /*with_directory=*/true);
  ASSERT_TRUE(env.registry().register_vehicle(kBerlin, "DE", "", "cli:test").is_ok());
  ASSERT_TRUE(env.store().write(store::WriteBatch().remove("audit/head")).is_ok());
  env.open();
  EXPECT_EQ(env.registry().register_vehicle(kShanghai, "CN", "", "cli:test").status().code(), Code::kDataLoss);
  EXPECT_EQ(env.directory().locate(kShanghai).status().code(), Code::kNotFound);
  EXPECT_EQ(env.directory().locate(kBerlin).value(), "eu");
}

TEST(RegistryWithDirectory, ARegionServedElsewhereRecordsNothing) {
  RegistryEnv env([](config::Config& c) { c.served_regions = {"cn"}; }, /*with_directory=*/true);
  EXPECT_EQ(env.registry().register_vehicle(kBerlin, "DE", "", "cli:test").status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(env.directory().locate(kBerlin).status().code(), Code::kNotFound);
}

}  // namespace
}  // namespace fleetgate::vehicle
