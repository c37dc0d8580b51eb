#include "fleetgate/store/group_commit_log.h"

#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <thread>
#include <vector>

#include "fleetgate/store/embedded_store.h"
#include "fleetgate/store/test_dir.h"

namespace fleetgate::store {
namespace {

// Fails every write and counts them, so tests see what the log asked of its store.
class FailingStore final : public KvStore {
 public:
  Result<std::string> get(std::string_view) const override { return not_found("none"); }
  std::unique_ptr<KvIterator> scan(std::string_view, std::string_view) const override { return nullptr; }
  std::unique_ptr<KvReader> snapshot() const override { return nullptr; }
  Status write(const WriteBatch&, WriteOptions) override {
    ++writes;
    return unavailable("disk on fire");
  }
  Status write_if(std::string_view, const std::optional<std::string>&, const WriteBatch&) override {
    ++writes;
    return unavailable("disk on fire");
  }
  std::atomic<int> writes{0};
};

// Blocks every write until released, so batches pile up behind the first one.
class GatedStore final : public KvStore {
 public:
  explicit GatedStore(KvStore& inner) : inner_(inner) {}
  Result<std::string> get(std::string_view key) const override { return inner_.get(key); }
  std::unique_ptr<KvIterator> scan(std::string_view p, std::string_view s) const override { return inner_.scan(p, s); }
  std::unique_ptr<KvReader> snapshot() const override { return inner_.snapshot(); }
  Status write(const WriteBatch& batch, WriteOptions options) override {
    gate_.wait();
    sizes.push_back(batch.size());
    return inner_.write(batch, options);
  }
  Status write_if(std::string_view key, const std::optional<std::string>& expected, const WriteBatch& batch) override {
    gate_.wait();
    return inner_.write_if(key, expected, batch);
  }
  void open() { gate_.count_down(); }
  std::vector<size_t> sizes;  // read after the log is destroyed

 private:
  KvStore& inner_;
  std::latch gate_{1};
};

TEST(GroupCommitLog, AppendIsVisibleOnceAcknowledged) {
  TestDir dir;
  auto store = open_embedded(dir.path());
  ASSERT_TRUE(store.is_ok());
  GroupCommitLog log(**store);
  ASSERT_TRUE(log.append(WriteBatch().put("a", "1").put("b", "2")).is_ok());
  EXPECT_EQ((*store)->get("a").value(), "1");
  EXPECT_EQ((*store)->get("b").value(), "2");
}

TEST(GroupCommitLog, ConcurrentWritersShareOneWriteInOrder) {
  TestDir dir;
  auto store = open_embedded(dir.path());
  ASSERT_TRUE(store.is_ok());
  GatedStore gated(**store);
  std::vector<Status> outcomes(50);
  {
    GroupCommitLog log(gated);
    // The first batch holds the writer at the gate; the rest queue up behind it.
    for (int i = 0; i < 50; ++i) {
      ASSERT_TRUE(log.submit(WriteBatch().put("k", std::to_string(i)), [&outcomes, i](Status s) { outcomes[i] = s; })
                      .is_ok());
    }
    gated.open();
  }
  for (const Status& s : outcomes) EXPECT_TRUE(s.is_ok()) << s.to_string();
  ASSERT_GE(gated.sizes.size(), 1u);
  EXPECT_LE(gated.sizes.size(), 2u) << "49 queued batches go out in one group";
  EXPECT_EQ((*store)->get("k").value(), "49") << "batches apply in submission order";
}

TEST(GroupCommitLog, WithoutGroupCommitEveryBatchIsItsOwnWrite) {
  TestDir dir;
  auto store = open_embedded(dir.path());
  ASSERT_TRUE(store.is_ok());
  GatedStore gated(**store);
  {
    GroupCommitLog log(gated, {.group_commit = false});
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(log.submit(WriteBatch().put("k", std::to_string(i)), [](Status) {}).is_ok());
    gated.open();
  }
  EXPECT_EQ(gated.sizes, std::vector<size_t>(10, 1));
  EXPECT_EQ((*store)->get("k").value(), "9");
}

TEST(GroupCommitLog, ThreadsAppendingTogetherAllLand) {
  TestDir dir;
  auto store = open_embedded(dir.path());
  ASSERT_TRUE(store.is_ok());
  GroupCommitLog log(**store);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&log, t] {
      for (int i = 0; i < 25; ++i) {
        EXPECT_TRUE(log.append(WriteBatch().put(std::to_string(t) + "/" + std::to_string(i), "v")).is_ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(log.stats().batches, 200u);
  EXPECT_LE(log.stats().writes, 200u);
  for (int t = 0; t < 8; ++t) EXPECT_TRUE((*store)->get(std::to_string(t) + "/24").is_ok());
}

TEST(GroupCommitLog, AFailedWriteFailsEveryBatchOfItsGroup) {
  FailingStore store;
  GroupCommitLog log(store);
  Status s = log.append(WriteBatch().put("a", "1"));
  EXPECT_EQ(s.code(), Code::kUnavailable);
  EXPECT_NE(s.message().find("disk on fire"), std::string::npos);
}

TEST(GroupCommitLog, PrepareAddsEntriesOncePerGroupInTheSameWrite) {
  TestDir dir;
  auto store = open_embedded(dir.path());
  ASSERT_TRUE(store.is_ok());
  GatedStore gated(**store);
  std::atomic<int> prepared{0};
  {
    GroupCommitLog log(gated, {}, [&prepared](WriteBatch& group) {
      group.put("summary", std::to_string(group.size()) + " in group " + std::to_string(++prepared));
      return Status::ok();
    });
    for (int i = 0; i < 20; ++i) ASSERT_TRUE(log.submit(WriteBatch().put("k" + std::to_string(i), "v"), [](Status) {}).is_ok());
    gated.open();
  }
  EXPECT_EQ(static_cast<size_t>(prepared.load()), gated.sizes.size()) << "one call per group";
  EXPECT_LE(gated.sizes.size(), 2u);
  for (size_t n : gated.sizes) EXPECT_GE(n, 2u) << "the added entry is part of the group's write";
  EXPECT_EQ((*store)->get("summary").value(), std::to_string(gated.sizes.back() - 1) + " in group " +
                                                  std::to_string(prepared.load()));
}

TEST(GroupCommitLog, AFailedPrepareFailsTheGroupWithoutWriting) {
  FailingStore store;
  GroupCommitLog log(store, {}, [](WriteBatch&) { return internal_error("cannot seal"); });
  Status s = log.append(WriteBatch().put("a", "1"));
  EXPECT_EQ(s.code(), Code::kInternal);
  EXPECT_EQ(store.writes.load(), 0);
}

TEST(GroupCommitLog, FullQueueRefusesWithResourceExhausted) {
  TestDir dir;
  auto store = open_embedded(dir.path());
  ASSERT_TRUE(store.is_ok());
  GatedStore gated(**store);
  int acked = 0;
  {
    GroupCommitLog log(gated, {.max_queued_batches = 3});
    Status last;
    // The writer takes one group and stops at the gate; three more fill the queue.
    for (int i = 0; i < 100 && last.is_ok(); ++i) last = log.submit(WriteBatch().put("k", "v"), [&acked](Status) { ++acked; });
    EXPECT_EQ(last.code(), Code::kResourceExhausted);
    gated.open();
  }
  EXPECT_GE(acked, 3);
}

}  // namespace
}  // namespace fleetgate::store
