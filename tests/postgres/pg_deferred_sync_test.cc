// Deferred durability on the PostgreSQL control-plane store (KvStore::begin_deferred_sync, used by
// AuditLog::transact), against a real PostgreSQL on loopback: a write in a scope is visible at
// once and durable when the scope ends, and a scope whose writes cannot be confirmed durable ends
// with kUnavailable, outcome unknown, never OK.
#include <gtest/gtest.h>

#include <string>

#include "fleetgate/store/pg_store.h"
#include "support/pg_server.h"

namespace fleetgate {
namespace {

using store::KvStore;

std::unique_ptr<KvStore> open_store(const std::string& dsn) {
  auto migrated = store::migrate_pg(dsn);
  EXPECT_TRUE(migrated.is_ok()) << migrated.status().to_string();
  auto s = store::open_pg(dsn);
  EXPECT_TRUE(s.is_ok()) << s.status().to_string();
  return s.is_ok() ? std::move(s).value() : nullptr;
}

void expect_unknown_outcome(const Status& s) {
  EXPECT_EQ(s.code(), Code::kUnavailable) << s.to_string();
  EXPECT_NE(s.message().find("whether this change was stored is unknown"), std::string::npos) << s.to_string();
  EXPECT_NE(s.message().find("read it back"), std::string::npos) << s.to_string();
}

class PgDeferredSyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(pg_.dsn().empty());
    db_ = open_store(pg_.dsn());
    ASSERT_NE(db_, nullptr);
  }
  testing::PgServer pg_;
  std::unique_ptr<KvStore> db_;
};

TEST_F(PgDeferredSyncTest, AWriteIsVisibleAtOnceAndDurableWhenTheScopeEnds) {
  auto other_node = open_store(pg_.dsn());
  ASSERT_NE(other_node, nullptr);
  db_->begin_deferred_sync();
  ASSERT_TRUE(db_->put("k", "v").is_ok());
  EXPECT_EQ(other_node->get("k").value(), "v") << "visible to every reader before the scope ends";
  // Everything inserted into the WAL so far, the write's commit record included.
  const std::string written = testing::query_value(pg_.dsn(), "SELECT pg_current_wal_insert_lsn()::text");
  ASSERT_TRUE(db_->end_deferred_sync().is_ok());
  EXPECT_EQ(testing::query_value(pg_.dsn(), "SELECT (pg_current_wal_flush_lsn() >= '" + written + "'::pg_lsn)::text"), "true")
      << "the end of the scope flushed the WAL past the write";
}

TEST_F(PgDeferredSyncTest, AScopeThatWroteNothingEndsWithoutAskingTheDatabase) {
  db_->begin_deferred_sync();
  ASSERT_TRUE(db_->get("absent").status().code() == Code::kNotFound);
  ASSERT_TRUE(pg_.stop());
  EXPECT_TRUE(db_->end_deferred_sync().is_ok());
}

TEST_F(PgDeferredSyncTest, OnlyTheOutermostEndWaitsAndItsFailureIsAnUnknownOutcome) {
  db_->begin_deferred_sync();
  db_->begin_deferred_sync();
  ASSERT_TRUE(db_->put("k", "v").is_ok());
  ASSERT_TRUE(pg_.stop());  // between the commit and the wait for durability
  EXPECT_TRUE(db_->end_deferred_sync().is_ok()) << "a nested end does not wait";
  expect_unknown_outcome(db_->end_deferred_sync());
  // A fast shutdown flushes the WAL, so here it was stored; a crash would have lost it.
  ASSERT_TRUE(pg_.start());
  EXPECT_EQ(db_->get("k").value(), "v");
  EXPECT_TRUE(db_->put("k", "after").is_ok()) << "the store connects again";
}

TEST_F(PgDeferredSyncTest, WritesWhoseSessionEndedBeforeTheWaitAreAnUnknownOutcome) {
  // A crash ends every session and may lose commits not yet flushed; a flush on a new session
  // after the restart would prove nothing about them. Ending the sessions stands in for the crash.
  db_->begin_deferred_sync();
  ASSERT_TRUE(db_->put("a", "1").is_ok());
  // pg_terminate_backend with a timeout returns once the backend has exited.
  EXPECT_NE(testing::query_value(pg_.dsn(), "SELECT count(pg_terminate_backend(pid, 10000))::text FROM pg_stat_activity "
                             "WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'"),
            "0");
  ASSERT_TRUE(db_->put("b", "2").is_ok()) << "later writes go on a new session";
  expect_unknown_outcome(db_->end_deferred_sync());

  db_->begin_deferred_sync();
  ASSERT_TRUE(db_->put("c", "3").is_ok());
  EXPECT_TRUE(db_->end_deferred_sync().is_ok()) << "the next scope starts afresh";
}

}  // namespace
}  // namespace fleetgate
