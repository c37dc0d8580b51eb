#include "fleetgate/telemetry/desensitise.h"

#include <gtest/gtest.h>

#include "fleetgate/privacy/test_keys.h"
#include "fleetgate/telemetry/test_records.h"

namespace fleetgate::telemetry {
namespace {

struct Fixture {
  privacy::Pseudonymiser region{privacy::fixed_keys("eu", 5)};
  privacy::TransferPseudonymiser transfer = std::move(region.for_transfer("tr-7")).value();
  privacy::Coarsener coarsener = std::move(privacy::Coarsener::create({})).value();

  Record stored_record() {
    Record r = sample_record();
    r.pseudonym = *region.pseudonym(r.vin);
    return r;
  }
};

TEST(Desensitise, KeepsOnlyApprovedFieldsCoarsenedAndRekeyed) {
  Fixture f;
  const Field approved[] = {Field::kLocation, Field::kStateOfCharge};
  Record r = f.stored_record();
  auto d = desensitise(r, {f.coarsener, f.transfer, approved});
  ASSERT_TRUE(d.is_ok()) << d.status().to_string();
  EXPECT_EQ(d->transfer_pseudonym, *f.transfer.pseudonym(r.pseudonym));
  EXPECT_NE(d->transfer_pseudonym, r.pseudonym);
  EXPECT_EQ(d->time_bucket_ms, f.coarsener.bucket_time(r.created_at_ms));
  ASSERT_EQ(d->data.size(), 2u);
  const auto& loc = std::get<Location>(d->data[0].value);
  EXPECT_NEAR(loc.lat, 52.525, 1e-9);
  EXPECT_NEAR(loc.lon, 13.405, 1e-9);
  EXPECT_FALSE(loc.heading.has_value()) << "heading is dropped from coarse locations";
  EXPECT_EQ(d->data[1], (Datum{Field::kStateOfCharge, 80.25}));
}

TEST(Desensitise, DropsLocationsInSensitiveZones) {
  Fixture f;
  privacy::CoarsenOptions o;
  o.zones = {{"home", {52.52, 13.405}, 300}};
  privacy::Coarsener zoned = std::move(privacy::Coarsener::create(o)).value();
  const Field approved[] = {Field::kLocation, Field::kSpeed};
  auto d = desensitise(f.stored_record(), {zoned, f.transfer, approved});
  ASSERT_TRUE(d.is_ok());
  ASSERT_EQ(d->data.size(), 1u);
  EXPECT_EQ(d->data[0].field, Field::kSpeed);
}

TEST(Desensitise, NoApprovedFieldsMeansNoData) {
  Fixture f;
  auto d = desensitise(f.stored_record(), {f.coarsener, f.transfer, {}});
  ASSERT_TRUE(d.is_ok());
  EXPECT_TRUE(d->data.empty());
}

TEST(Desensitise, NeedsThePseudonym) {
  Fixture f;
  auto d = desensitise(sample_record(), {f.coarsener, f.transfer, {}});
  ASSERT_FALSE(d.is_ok());
  EXPECT_EQ(d.status().code(), Code::kFailedPrecondition);
}

}  // namespace
}  // namespace fleetgate::telemetry
