#include "fleetgate/core/read_through_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace fleetgate {
namespace {

TEST(ReadThroughCache, LoadsOnceThenHits) {
  ReadThroughCache<std::string> cache(8);
  int loads = 0;
  auto load = [&]() -> Result<std::string> { ++loads; return std::string("eu"); };
  for (int i = 0; i < 3; ++i) {
    auto v = cache.get("WVW", load);
    ASSERT_TRUE(v.is_ok());
    EXPECT_EQ(*v, "eu");
  }
  EXPECT_EQ(loads, 1);
}

TEST(ReadThroughCache, InvalidateMakesTheNextGetLoadAgain) {
  ReadThroughCache<std::string> cache(8);
  std::string stored = "eu";
  auto load = [&]() -> Result<std::string> { return stored; };
  ASSERT_EQ(*cache.get("WVW", load), "eu");
  stored = "us";
  EXPECT_EQ(*cache.get("WVW", load), "eu") << "the owner has not invalidated yet";
  cache.invalidate();
  EXPECT_EQ(*cache.get("WVW", load), "us");
}

TEST(ReadThroughCache, ALoadOverlappingAnInvalidateIsNotKept) {
  ReadThroughCache<std::string> cache(8);
  std::string stored = "eu";
  // The write (and its invalidate) lands while the first load runs: what that load read is stale.
  auto racing = [&]() -> Result<std::string> {
    std::string read = stored;
    stored = "us";
    cache.invalidate();
    return read;
  };
  EXPECT_EQ(*cache.get("WVW", racing), "eu") << "the caller still gets what it read";
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(*cache.get("WVW", [&]() -> Result<std::string> { return stored; }), "us");
}

TEST(ReadThroughCache, ErrorsAreNotKept) {
  ReadThroughCache<std::string> cache(8);
  int loads = 0;
  auto missing = [&]() -> Result<std::string> { ++loads; return not_found("no such vehicle"); };
  EXPECT_EQ(cache.get("WVW", missing).status().code(), Code::kNotFound);
  EXPECT_EQ(cache.get("WVW", missing).status().code(), Code::kNotFound);
  EXPECT_EQ(loads, 2);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(ReadThroughCache, StaysWithinItsCapacity) {
  ReadThroughCache<int> cache(4);
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(*cache.get(std::to_string(i), [i]() -> Result<int> { return i; }), i);
    EXPECT_LE(cache.size(), 4u);
  }
}

TEST(ReadThroughCache, ReadersAndAnInvalidatingWriterNeverSeeAStaleValueAfterTheWrite) {
  ReadThroughCache<int> cache(16);
  std::atomic<int> stored{0};
  std::atomic<bool> stale{false};
  std::vector<std::thread> readers;
  std::atomic<int> written{0};  // the last value whose write and invalidate completed
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      for (int i = 0; i < 20000; ++i) {
        const int floor = written.load();
        auto v = cache.get("k", [&]() -> Result<int> { return stored.load(); });
        if (*v < floor) stale = true;
      }
    });
  }
  for (int v = 1; v <= 2000; ++v) {
    stored = v;
    cache.invalidate();
    written = v;
  }
  for (auto& r : readers) r.join();
  EXPECT_FALSE(stale.load());
}

}  // namespace
}  // namespace fleetgate
