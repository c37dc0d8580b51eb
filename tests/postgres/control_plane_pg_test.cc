// The control plane on PostgreSQL ([control] backend = "postgres"), against a real PostgreSQL 15
// started on loopback by tools/pg-region.sh: the KvStore contract the embedded store meets, and
// several nodes (each its own store connection, audit log, registry and credentials, as separate
// fleetgate processes would have) racing on one database.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <functional>
#include <set>
#include <thread>
#include <vector>

#include "fleetgate/access/credentials.h"
#include "fleetgate/audit/audit_log.h"
#include "fleetgate/core/config.h"
#include "fleetgate/residency/policy.h"
#include "fleetgate/store/pg_store.h"
#include "fleetgate/privacy/test_keys.h"
#include "fleetgate/vehicle/registry.h"
#include "fleetgate/vehicle/vin_directory.h"
#include "support/pg_server.h"

namespace fleetgate {
namespace {

using store::KvStore;
using store::WriteBatch;

std::vector<std::string> keys_of(const store::KvReader& r, std::string_view prefix, std::string_view start = {}) {
  std::vector<std::string> out;
  auto it = r.scan(prefix, start);
  for (; it->valid(); it->next()) out.emplace_back(it->key());
  EXPECT_TRUE(it->status().is_ok()) << it->status().to_string();
  return out;
}

class PgStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(pg_.dsn().empty());
    db_ = testing::open_migrated_pg(pg_.dsn());
    ASSERT_NE(db_, nullptr);
  }
  testing::PgServer pg_;
  std::unique_ptr<KvStore> db_;
};

TEST_F(PgStoreTest, PutGetRemoveAndBinaryBytes) {
  const std::string key("k\0\xff", 3), value("\0\x01\x02", 3);
  ASSERT_TRUE(db_->put(key, value).is_ok());
  EXPECT_EQ(db_->get(key).value(), value);
  ASSERT_TRUE(db_->remove(key).is_ok());
  EXPECT_EQ(db_->get(key).status().code(), Code::kNotFound);
  EXPECT_TRUE(db_->shared());
}

TEST_F(PgStoreTest, GetManyAnswersEachKeyInOrderAcrossQueries) {
  // More keys than one query asks for (8,192), binary bytes, repeats and absent keys among them.
  WriteBatch batch;
  std::vector<std::string> keys;
  for (int i = 0; i < 20000; ++i) {
    const std::string key = "id/" + std::to_string(i) + std::string("\0\xff", 2);
    if (i % 3 != 0) batch.put(key, "v" + std::to_string(i));
    keys.push_back(key);
  }
  ASSERT_TRUE(db_->write(batch).is_ok());
  keys.push_back(keys[1]);
  keys.push_back("never");
  auto values = db_->get_many(keys);
  ASSERT_TRUE(values.is_ok()) << values.status().to_string();
  ASSERT_EQ(values->size(), keys.size());
  for (int i = 0; i < 20000; ++i) {
    if (i % 3 == 0) {
      EXPECT_FALSE((*values)[i].has_value()) << i;
    } else {
      EXPECT_EQ((*values)[i], "v" + std::to_string(i)) << i;
    }
  }
  EXPECT_EQ((*values)[20000], "v1");
  EXPECT_FALSE((*values)[20001].has_value());
  auto none = db_->get_many({});
  ASSERT_TRUE(none.is_ok());
  EXPECT_TRUE(none->empty());
}

TEST_F(PgStoreTest, BatchAppliesInOrderAtomically) {
  ASSERT_TRUE(db_->put("gone", "x").is_ok());
  WriteBatch b;
  b.put("a", "1").put("b", "2").remove("gone").put("a", "3");
  ASSERT_TRUE(db_->write(b).is_ok());
  EXPECT_EQ(db_->get("a").value(), "3");
  EXPECT_EQ(db_->get("b").value(), "2");
  EXPECT_EQ(db_->get("gone").status().code(), Code::kNotFound);
}

TEST_F(PgStoreTest, ScansAreBytewiseInsideThePrefixAcrossPages) {
  for (const char* k : {"p/a", "p/b", "p/c", "p0", "o", "q/a"}) ASSERT_TRUE(db_->put(k, k).is_ok());
  EXPECT_EQ(keys_of(*db_, "p/"), (std::vector<std::string>{"p/a", "p/b", "p/c"}));
  EXPECT_EQ(keys_of(*db_, "p/", "p/b"), (std::vector<std::string>{"p/b", "p/c"}));
  EXPECT_TRUE(keys_of(*db_, "p/", "p/d").empty());
  EXPECT_EQ(keys_of(*db_, "").size(), 6u);
  const std::string ff("a\xff", 2);
  ASSERT_TRUE(db_->put(ff + "1", "x").is_ok());
  EXPECT_EQ(keys_of(*db_, ff), (std::vector<std::string>{ff + "1"}));
  // More than one page (256 rows), in byte order: 0x80.. sorts after 0x7f.
  WriteBatch many;
  for (int i = 0; i < 600; ++i) many.put("m/" + std::string(1, static_cast<char>(i % 256)) + std::to_string(i), "v");
  ASSERT_TRUE(db_->write(many).is_ok());
  const auto keys = keys_of(*db_, "m/");
  ASSERT_EQ(keys.size(), 600u);
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
}

// A long scan reads ever larger pages (256 rows, then twice as many, up to 16,384) while they
// stay small in bytes: every row once, in order, across each size change, for small and for
// large values.
TEST_F(PgStoreTest, LongScansReadEveryRowOnceAsPagesGrow) {
  constexpr int kSmall = 40000;  // past 256 + 512 + ... + 16,384
  WriteBatch small;
  for (int i = 0; i < kSmall; ++i) {
    char key[16];
    std::snprintf(key, sizeof key, "s/%06d", i);
    small.put(key, "v");
  }
  ASSERT_TRUE(db_->write(small).is_ok());
  const auto keys = keys_of(*db_, "s/");
  ASSERT_EQ(keys.size(), static_cast<size_t>(kSmall));
  for (int i = 0; i < kSmall; i += 997) {
    char key[16];
    std::snprintf(key, sizeof key, "s/%06d", i);
    EXPECT_EQ(keys[static_cast<size_t>(i)], key);
  }
  EXPECT_TRUE(std::adjacent_find(keys.begin(), keys.end(), std::greater_equal<>()) == keys.end()) << "strictly ascending";

  WriteBatch large;  // 64 KiB values: pages stop growing at a few MiB
  for (int i = 0; i < 300; ++i) large.put("l/" + std::to_string(1000 + i), std::string(64 << 10, static_cast<char>('a' + i % 26)));
  ASSERT_TRUE(db_->write(large).is_ok());
  size_t rows = 0;
  auto snapshot = db_->snapshot();
  for (auto it = snapshot->scan("l/"); it->valid(); it->next(), ++rows) {
    ASSERT_EQ(it->value().size(), size_t{64} << 10);
    EXPECT_EQ(it->value()[0], static_cast<char>('a' + (std::stoi(std::string(it->key().substr(2))) - 1000) % 26));
  }
  EXPECT_EQ(rows, 300u);
}

TEST_F(PgStoreTest, SnapshotIgnoresLaterWrites) {
  ASSERT_TRUE(db_->put("k/1", "old").is_ok());
  auto snap = db_->snapshot();
  EXPECT_EQ(snap->get("k/1").value(), "old");  // the snapshot is taken by its first read
  ASSERT_TRUE(db_->put("k/1", "new").is_ok());
  ASSERT_TRUE(db_->put("k/2", "new").is_ok());
  EXPECT_EQ(snap->get("k/1").value(), "old");
  EXPECT_EQ(keys_of(*snap, "k/"), (std::vector<std::string>{"k/1"}));
  EXPECT_EQ(keys_of(*db_, "k/").size(), 2u);
}

TEST_F(PgStoreTest, ConditionalWritesApplyOnlyOnTheExpectedValue) {
  EXPECT_TRUE(db_->write_if("head", std::nullopt, WriteBatch().put("head", "1").put("x", "a")).is_ok());
  EXPECT_EQ(db_->write_if("head", std::nullopt, WriteBatch().put("head", "2")).code(), Code::kAborted);
  EXPECT_EQ(db_->write_if("head", std::string("0"), WriteBatch().put("x", "b")).code(), Code::kAborted);
  EXPECT_EQ(db_->get("x").value(), "a") << "a refused conditional write writes nothing";
  EXPECT_TRUE(db_->write_if("head", std::string("1"), WriteBatch().put("head", "2")).is_ok());
  EXPECT_EQ(db_->get("head").value(), "2");
}

// The global VIN directory ([directory] dsn_env) on the same KvStore: what one region's node
// records, another's finds with the shared key, and the database holds no VIN.
TEST_F(PgStoreTest, TheVinDirectoryIsSharedAndHoldsNoVin) {
  const std::string vin = "LRW3E7EA8PC390117";
  std::unique_ptr<KvStore> other = testing::open_migrated_pg(pg_.dsn());
  ASSERT_NE(other, nullptr);
  vehicle::VinDirectory eu_node(*db_, privacy::Pseudonymiser(privacy::fixed_keys("directory", 3)));
  vehicle::VinDirectory cn_node(*other, privacy::Pseudonymiser(privacy::fixed_keys("directory", 3)));
  ASSERT_TRUE(eu_node.record({{vin, "eu"}}).is_ok());
  EXPECT_EQ(cn_node.locate(vin).value(), "eu");
  EXPECT_EQ(keys_of(*db_, "").size(), 1u);
  for (auto it = db_->scan(""); it->valid(); it->next()) {
    EXPECT_EQ(it->key().find(vin), std::string_view::npos) << it->key();
    EXPECT_EQ(it->value().find(vin), std::string_view::npos) << it->key();
  }
}

TEST(PgStore, ASchemaNotMigratedIsRefusedWithTheCommandThatFixesIt) {
  testing::PgServer pg;
  ASSERT_FALSE(pg.dsn().empty());
  auto s = store::open_pg(pg.dsn());
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(s.status().message().find("fleetgate migrate"), std::string::npos) << s.status().to_string();
  EXPECT_EQ(store::migrate_pg(pg.dsn()).value(), store::kPgSchemaVersion);
  EXPECT_EQ(store::migrate_pg(pg.dsn()).value(), store::kPgSchemaVersion) << "migrating again changes nothing";
  EXPECT_TRUE(store::open_pg(pg.dsn()).is_ok());
  EXPECT_EQ(store::open_pg("host=/nonexistent port=1 user=x dbname=x").status().code(), Code::kUnavailable);
}

TEST_F(PgStoreTest, ATransactionIsNotAcknowledgedWhenItsDurabilityCannotBeConfirmed) {
  auto log = audit::AuditLog::open(*db_);
  ASSERT_TRUE(log.is_ok()) << log.status().to_string();
  auto result = (*log)->transact([&] {
    auto appended = (*log)->append_with({audit::Event{"cli:alice", "user.add", "bob", "", {}}}, WriteBatch().put("user/bob", "b"));
    EXPECT_TRUE(pg_.stop());  // committed, not yet known durable
    return appended;
  });
  EXPECT_EQ(result.status().code(), Code::kUnavailable) << "never acknowledged";
  EXPECT_NE(result.status().message().find("whether this change was stored is unknown"), std::string::npos)
      << result.status().to_string();
  ASSERT_TRUE(pg_.start());
  EXPECT_EQ(db_->get("user/bob").value(), "b") << "a fast shutdown flushed it: stored, hence 'unknown', not 'failed'";
}

// What one fleetgate node holds of the control plane: its own connection pool, audit log (with
// its own idea of the head), registry and credentials.
struct Node {
  explicit Node(const std::string& dsn, std::shared_ptr<const residency::Policy> policy)
      : store(testing::open_migrated_pg(dsn)), audit(std::move(audit::AuditLog::open(*store).value())),
        registry(*audit, std::move(policy)), credentials(*audit) {}
  std::unique_ptr<KvStore> store;
  std::unique_ptr<audit::AuditLog> audit;
  vehicle::FleetRegistry registry;
  access::CredentialStore credentials;
};

class PgNodesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(pg_.dsn().empty());
    auto cfg = config::load_config(FLEETGATE_SOURCE_DIR "/config/fleetgate.toml");
    ASSERT_TRUE(cfg.is_ok()) << cfg.status().to_string();
    auto shared = std::make_shared<const config::Config>(std::move(cfg).value());
    policy_ = std::make_shared<const residency::Policy>(residency::Policy::create(shared).value());
    a_ = std::make_unique<Node>(pg_.dsn(), policy_);
    b_ = std::make_unique<Node>(pg_.dsn(), policy_);
  }

  void expect_chain_intact(uint64_t entries) {
    auto report = a_->audit->verify();
    ASSERT_TRUE(report.is_ok()) << report.status().to_string();
    EXPECT_TRUE(report->intact()) << report->problem;
    EXPECT_EQ(report->entries, entries);
  }

  testing::PgServer pg_;
  std::shared_ptr<const residency::Policy> policy_;
  std::unique_ptr<Node> a_, b_;
};

// The n-th of eight valid VINs (config/demo-fleet.csv's US cars).
std::string vin_number(int n) {
  static const char* kVins[] = {"5YJ3E1EA1PF412087", "5YJ3E1EB6RF520331", "5YJSA1E25NF455120", "7SAYGDEE8PF833019",
                                "7SAYGDEE4RA101552", "7SAYGDEF0SA240978", "1VWSA7A30NC006214", "5UXCR6C0XP9R71223"};
  return kVins[n % std::size(kVins)];
}

TEST_F(PgNodesTest, ConcurrentAppendsFromTwoNodesFormOneLinearChain) {
  constexpr int kPerThread = 40;
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  for (Node* node : {a_.get(), b_.get()}) {
    for (int t = 0; t < 2; ++t) {
      threads.emplace_back([node, &failed] {
        for (int i = 0; i < kPerThread; ++i) {
          if (!node->audit->append({"cli:test", "test.event", "s", "", {}}).is_ok()) ++failed;
        }
      });
    }
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  expect_chain_intact(4 * kPerThread);
}

// Decisions (read a counter, write it plus one with an entry) keep their turn across decisions
// of one node, and plain appends of both nodes go between them without a turn: no update is lost
// and the chain does not fork.
TEST_F(PgNodesTest, DecisionsAndPlainAppendsOfTwoNodesLoseNoUpdateAndFormOneChain) {
  constexpr int kPerThread = 30;
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (Node* node : {a_.get(), b_.get()}) {
    for (int t = 0; t < 2; ++t) {
      threads.emplace_back([node, &failed] {
        for (int i = 0; i < kPerThread; ++i) {
          auto r = node->audit->transact([node]() -> Result<std::vector<audit::Entry>> {
            auto now = node->store->get("counter");
            if (!now.is_ok() && now.status().code() != Code::kNotFound) return now.status();
            const int next = (now.is_ok() ? std::stoi(*now) : 0) + 1;
            return node->audit->append_with({{"cli:test", "test.count", "counter", "", {}}},
                                            WriteBatch().put("counter", std::to_string(next)));
          });
          if (!r.is_ok()) ++failed;
        }
      });
    }
    threads.emplace_back([node, &failed] {
      for (int i = 0; i < kPerThread; ++i) {
        if (!node->audit->append({"cli:test", "test.event", "s", "", {}}).is_ok()) ++failed;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(a_->store->get("counter").value(), std::to_string(4 * kPerThread));
  expect_chain_intact(6 * kPerThread);
}

// A decision begins on the head its node last saw, not on one read again: after another node
// appended, its first attempt loses the race at commit, and it runs again on the head stored.
TEST_F(PgNodesTest, ADecisionOnAHeadAnotherNodeMovedRunsAgainOnTheStoredHead) {
  ASSERT_TRUE(a_->audit->append({"cli:test", "test.event", "on a", "", {}}).is_ok());
  int runs = 0;
  auto appended = b_->audit->transact([&] {
    ++runs;
    return b_->audit->append_with({{"cli:test", "test.event", "on b", "", {}}}, WriteBatch().put("b", "1"));
  });
  ASSERT_TRUE(appended.is_ok()) << appended.status().to_string();
  EXPECT_EQ(runs, 2) << "one attempt on the head B last saw, one on the head A moved";
  EXPECT_EQ(appended->front().seq, 2u);
  expect_chain_intact(2);
}

TEST_F(PgNodesTest, ExactlyOneNodeRegistersEachVin) {
  std::atomic<int> won{0}, lost{0}, other{0};
  std::vector<std::thread> threads;
  for (Node* node : {a_.get(), b_.get(), a_.get(), b_.get()}) {
    threads.emplace_back([node, &won, &lost, &other] {
      for (int i = 0; i < 8; ++i) {
        auto r = node->registry.register_vehicle(vin_number(i), "US", "race", "cli:test");
        if (r.is_ok()) ++won;
        else if (r.status().code() == Code::kAlreadyExists) ++lost;
        else ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(won.load(), 8) << "one registration per VIN";
  EXPECT_EQ(lost.load(), 24);
  expect_chain_intact(8);
}

TEST_F(PgNodesTest, ConcurrentTokenReissuesLeaveExactlyOneValidToken) {
  ASSERT_TRUE(a_->registry.register_vehicle(vin_number(0), "US", "", "cli:test").is_ok());
  std::vector<std::string> tokens(8);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    Node* node = i % 2 == 0 ? a_.get() : b_.get();
    threads.emplace_back([node, i, &tokens] {
      auto t = node->credentials.issue_vehicle_token(vin_number(0), "us", "cli:test");
      EXPECT_TRUE(t.is_ok()) << t.status().to_string();
      if (t.is_ok()) tokens[static_cast<size_t>(i)] = *t;
    });
  }
  for (auto& t : threads) t.join();
  int valid = 0;
  for (const auto& t : tokens) valid += b_->credentials.lookup(t).is_ok() ? 1 : 0;
  EXPECT_EQ(valid, 1);
  expect_chain_intact(9);
}

TEST_F(PgNodesTest, ARevocationOnOneNodeHoldsOnTheOtherAtOnce) {
  ASSERT_TRUE(a_->registry.register_vehicle(vin_number(1), "US", "", "cli:test").is_ok());
  const std::string token = a_->credentials.issue_vehicle_token(vin_number(1), "us", "cli:test").value();
  ASSERT_TRUE(b_->credentials.lookup(token).is_ok());
  ASSERT_TRUE(b_->credentials.lookup(token).is_ok()) << "a second lookup, which a cache would answer";
  ASSERT_TRUE(a_->credentials.revoke_vehicle_token(vin_number(1), "us", "cli:test").is_ok());
  EXPECT_EQ(b_->credentials.lookup(token).status().code(), Code::kUnauthenticated);

  // The same for a rehome: node B shows the new home region at once.
  ASSERT_EQ(b_->registry.show(vin_number(1)).value().region, "us");
  ASSERT_TRUE(a_->registry.rehome(vin_number(1), "DE", "cli:test", "moved").is_ok());
  EXPECT_EQ(b_->registry.show(vin_number(1)).value().region, "eu");
  expect_chain_intact(4);
}

}  // namespace
}  // namespace fleetgate
