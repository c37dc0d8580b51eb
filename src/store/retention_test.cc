#include <gtest/gtest.h>

#include <string>

#include "fleetgate/store/embedded_store.h"
#include "fleetgate/store/test_dir.h"

namespace fleetgate::store {
namespace {

// Keys "t/<ms>" carry a time; other keys have none.
std::optional<int64_t> time_of(std::string_view key) {
  if (key.substr(0, 2) != "t/") return std::nullopt;
  return std::stoll(std::string(key.substr(2)));
}

TEST(Retention, CompactionDropsOnlyEntriesOlderThanTheWindow) {
  TestDir dir;
  int64_t now = 1'000'000;
  EmbeddedOptions options;
  options.retention = std::chrono::milliseconds(1000);
  options.key_time = time_of;
  options.clock = [&now] { return now; };
  auto store = open_embedded(dir.path(), options);
  ASSERT_TRUE(store.is_ok());
  ASSERT_TRUE((*store)->write(WriteBatch().put("t/998000", "old").put("t/999500", "recent").put("meta", "keep")).is_ok());
  ASSERT_TRUE((*store)->compact().is_ok());
  EXPECT_EQ((*store)->get("t/998000").status().code(), Code::kNotFound);
  EXPECT_EQ((*store)->get("t/999500").value(), "recent");
  EXPECT_EQ((*store)->get("meta").value(), "keep");

  now += 10'000;  // everything timed is now past retention
  ASSERT_TRUE((*store)->compact().is_ok());
  EXPECT_EQ((*store)->get("t/999500").status().code(), Code::kNotFound);
  EXPECT_EQ((*store)->get("meta").value(), "keep");
}

TEST(Retention, WithoutRetentionCompactionKeepsEverything) {
  TestDir dir;
  auto store = open_embedded(dir.path(), {.key_time = time_of});
  ASSERT_TRUE(store.is_ok());
  ASSERT_TRUE((*store)->put("t/1", "ancient").is_ok());
  ASSERT_TRUE((*store)->compact().is_ok());
  EXPECT_EQ((*store)->get("t/1").value(), "ancient");
}

}  // namespace
}  // namespace fleetgate::store
