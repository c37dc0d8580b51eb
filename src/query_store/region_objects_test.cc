// A region's objects in its PostgreSQL: what one node stores, every node of the region reads,
// beside the control plane's table when the region's database is also the control database.

#include "fleetgate/query_store/region_objects.h"

#include <gtest/gtest.h>

#include "fleetgate/learning/dataset.h"
#include "fleetgate/learning/synthetic_dataset.h"
#include "fleetgate/privacy/test_keys.h"
#include "fleetgate/query_store/region_schema.h"
#include "fleetgate/store/pg_store.h"
#include "support/pg_server.h"

namespace fleetgate::query_store {
namespace {

TEST(RegionObjects, ADatasetOneNodeStoresIsReadByAnother) {
  testing::PgServer pg;
  ASSERT_FALSE(pg.dsn().empty());
  ASSERT_TRUE(migrate_region_pg(pg.dsn()).is_ok());
  auto a = open_region_objects(pg.dsn());
  auto b = open_region_objects(pg.dsn());
  ASSERT_TRUE(a.is_ok()) << a.status().to_string();
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();

  const auto keys = privacy::fixed_keys("cn", 7);
  const learning::Dataset d = learning::synthetic_dataset("cn", 40, 10, 1);
  auto version = learning::save_dataset(**a, keys, d);
  ASSERT_TRUE(version.is_ok()) << version.status().to_string();

  auto listed = learning::list_datasets(**b);
  ASSERT_TRUE(listed.is_ok()) << listed.status().to_string();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().version, *version);
  auto loaded = learning::load_dataset(**b, keys, *version);
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().to_string();
  ASSERT_EQ(loaded->train.size(), d.train.size());
  EXPECT_EQ(loaded->train.front().features, d.train.front().features);
  EXPECT_EQ(learning::save_dataset(**b, keys, d).status().code(), Code::kAlreadyExists)
      << "the other node sees the version taken";
}

TEST(RegionObjects, AnUnmigratedDatabaseIsRefusedAndTheControlPlanesTableIsApart) {
  testing::PgServer pg;
  ASSERT_FALSE(pg.dsn().empty());
  auto refused = open_region_objects(pg.dsn());
  ASSERT_FALSE(refused.is_ok());
  EXPECT_EQ(refused.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("migrate"), std::string::npos) << refused.status().to_string();

  // One database for both: the same key in each store holds its own value.
  ASSERT_TRUE(migrate_region_pg(pg.dsn()).is_ok());
  ASSERT_TRUE(store::migrate_pg(pg.dsn()).is_ok());
  auto objects = open_region_objects(pg.dsn());
  auto control = store::open_pg(pg.dsn());
  ASSERT_TRUE(objects.is_ok()) << objects.status().to_string();
  ASSERT_TRUE(control.is_ok()) << control.status().to_string();
  ASSERT_TRUE((*objects)->put("k", "object").is_ok());
  ASSERT_TRUE((*control)->put("k", "control").is_ok());
  EXPECT_EQ(*(*objects)->get("k"), "object");
  EXPECT_EQ(*(*control)->get("k"), "control");
}

}  // namespace
}  // namespace fleetgate::query_store
