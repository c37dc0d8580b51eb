// Turns on the PostgreSQL control-plane store (KvStore::lock, AuditLog::transact's), against a
// real PostgreSQL on loopback: a node keeps its turn for its next decision instead of releasing
// it across nodes, but only while one of its threads waits for it and for at most kPgTurnsInARow
// holders in a row; a turn whose session ended is never handed on; and a node whose session ended
// while it had the turn blocks no other node.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "fleetgate/store/pg_store.h"
#include "support/pg_server.h"

namespace fleetgate {
namespace {

using store::KvLock;
using store::KvStore;

// A thread that runs what it is posted, in order: a deferred-sync scope belongs to one thread, so
// a test plays several threads of a node step by step.
class Worker {
 public:
  Worker() : thread_([this] { loop(); }) {}
  ~Worker() {
    post([this] { done_ = true; });
    thread_.join();
  }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  template <typename F>
  auto post(F f) -> std::future<decltype(f())> {
    auto task = std::make_shared<std::packaged_task<decltype(f())()>>(std::move(f));
    auto done = task->get_future();
    {
      std::lock_guard l(mu_);
      tasks_.push_back([task] { (*task)(); });
    }
    cv_.notify_one();
    return done;
  }
  template <typename F>
  auto run(F f) {
    return post(std::move(f)).get();
  }

 private:
  void loop() {
    while (!done_) {
      std::unique_lock l(mu_);
      cv_.wait(l, [this] { return !tasks_.empty(); });
      auto task = std::move(tasks_.front());
      tasks_.pop_front();
      l.unlock();
      task();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool done_ = false;  // worker thread only
  std::thread thread_;
};

class PgTurnTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(pg_.dsn().empty());
    a_ = testing::open_migrated_pg(pg_.dsn());
    b_ = testing::open_migrated_pg(pg_.dsn());
    ASSERT_NE(a_, nullptr);
    ASSERT_NE(b_, nullptr);
  }

  // Advisory locks some session holds (granted) or waits for (not granted).
  std::string advisory_locks(bool granted) {
    return testing::query_value(pg_.dsn(), std::string("SELECT count(*)::text FROM pg_locks WHERE locktype = 'advisory' AND granted = ") +
                                               (granted ? "true" : "false"));
  }

  // True once some session waits for an advisory lock (polled, 10 s at most).
  bool someone_waits_for_a_turn() {
    for (int i = 0; i < 1000; ++i) {
      if (advisory_locks(false) == "1") return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  testing::PgServer pg_;
  std::unique_ptr<KvStore> a_, b_;  // two nodes' stores
};

std::unique_ptr<KvLock> take(KvStore& node) {
  auto turn = node.lock("turn");
  EXPECT_TRUE(turn.is_ok()) << turn.status().to_string();
  return turn.is_ok() ? std::move(turn).value() : nullptr;
}

TEST_F(PgTurnTest, ATurnIsKeptOnlyWhileAThreadOfTheNodeWaitsForIt) {
  Worker first, next;
  first.run([&] { take(*a_); });
  EXPECT_EQ(advisory_locks(true), "0") << "nobody waited: released at once";

  next.run([&] { a_->begin_deferred_sync(); });  // the next decision, before its turn
  first.run([&] { take(*a_); });
  EXPECT_EQ(advisory_locks(true), "1") << "kept for the decision waiting";
  next.run([&] { EXPECT_TRUE(a_->end_deferred_sync().is_ok()); });
  EXPECT_EQ(advisory_locks(true), "0") << "released when the only one waiting left without it";

  next.run([&] { a_->begin_deferred_sync(); });
  first.run([&] { take(*a_); });
  next.run([&] {
    take(*a_);
    EXPECT_TRUE(a_->end_deferred_sync().is_ok());
  });
  EXPECT_EQ(advisory_locks(true), "0") << "released after the last one waiting had it";
}

TEST_F(PgTurnTest, ATurnWhoseSessionEndedBlocksNoOtherNodeAndIsNotHandedOn) {
  Worker first, next, other_node;
  next.run([&] { a_->begin_deferred_sync(); });
  first.run([&] { take(*a_); });
  ASSERT_EQ(advisory_locks(true), "1") << "kept for the decision waiting";
  // Node A's session ends as if A died (pg_terminate_backend with a timeout returns once it has).
  ASSERT_EQ(testing::query_value(pg_.dsn(), "SELECT count(pg_terminate_backend(pid, 10000))::text FROM pg_locks "
                                            "WHERE locktype = 'advisory' AND granted"),
            "1");

  std::promise<void> release_b;
  std::promise<void> b_has_it;
  auto b_turn = other_node.post([&] {
    auto held = take(*b_);  // not blocked by A's kept turn: its session is gone
    b_has_it.set_value();
    release_b.get_future().wait();
    return held != nullptr;
  });
  b_has_it.get_future().wait();
  std::atomic<bool> a_has_it{false};
  auto a_turn = next.post([&] {
    auto held = take(*a_);
    a_has_it = true;
    EXPECT_TRUE(a_->end_deferred_sync().is_ok());
    return held != nullptr;
  });
  // A takes its turn anew, waiting behind B, instead of trusting the session that lost it.
  EXPECT_TRUE(someone_waits_for_a_turn());
  EXPECT_FALSE(a_has_it.load()) << "two nodes had the turn at once";
  release_b.set_value();
  EXPECT_TRUE(b_turn.get());
  EXPECT_TRUE(a_turn.get());
}

TEST_F(PgTurnTest, ANodeKeepsItsTurnAtMostkPgTurnsInARowWhileAnotherNodeWaits) {
  constexpr int kTurns = 10 * store::kPgTurnsInARow;
  Worker busy, waiting, other_node;
  waiting.run([&] { a_->begin_deferred_sync(); });  // a decision of A waits throughout
  std::unique_ptr<KvLock> a_turn;
  busy.run([&] {
    a_->begin_deferred_sync();
    a_turn = take(*a_);
  });
  std::atomic<int> a_turns{1};
  auto a_turns_when_b_had_it = other_node.post([&] {
    auto held = take(*b_);
    return a_turns.load();
  });
  ASSERT_TRUE(someone_waits_for_a_turn());
  busy.run([&] {
    for (int i = 1; i < kTurns; ++i) {
      a_turn.reset();
      a_turn = take(*a_);
      ++a_turns;
    }
    a_turn.reset();
    EXPECT_TRUE(a_->end_deferred_sync().is_ok());
  });
  waiting.run([&] { EXPECT_TRUE(a_->end_deferred_sync().is_ok()); });
  EXPECT_LE(a_turns_when_b_had_it.get(), store::kPgTurnsInARow);
}

}  // namespace
}  // namespace fleetgate
