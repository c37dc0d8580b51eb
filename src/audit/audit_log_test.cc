#include "fleetgate/audit/audit_log.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <atomic>
#include <random>
#include <thread>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "fleetgate/store/embedded_store.h"
#include "fleetgate/store/test_dir.h"

namespace fleetgate::audit {
namespace {

namespace json = boost::json;

// The storage format is part of the contract these tests pin down: entries live under
// "audit/entry/" + 8-byte big-endian sequence, the head under "audit/head".
std::string entry_key(uint64_t seq) {
  std::string key = "audit/entry/";
  for (int shift = 56; shift >= 0; shift -= 8) key.push_back(static_cast<char>((seq >> shift) & 0xFF));
  return key;
}

std::string sha256_hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  char hex[3];
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    snprintf(hex, sizeof hex, "%02x", md[i]);
    out += hex;
  }
  return out;
}

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override { reopen(); }

  void reopen() {
    log_.reset();
    store_.reset();
    store_ = std::move(store::open_embedded(dir_ / "control")).value();
    auto opened = AuditLog::open(*store_, [this] { return now_; });
    ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
    log_ = std::move(opened).value();
  }

  Entry append(const std::string& actor, const std::string& subject) {
    auto e = log_->append(Event{actor, "vehicle.register", subject, "eu", json::object{{"market", "DE"}}});
    EXPECT_TRUE(e.is_ok()) << e.status().to_string();
    now_ += 1000;
    return e.is_ok() ? *e : Entry{};
  }

  void append_five() {
    for (int i = 1; i <= 5; ++i) append("cli:alice", "VIN" + std::to_string(i));
  }

  std::string raw(uint64_t seq) { return store_->get(entry_key(seq)).value(); }
  void put_raw(uint64_t seq, const std::string& value) { ASSERT_TRUE(store_->put(entry_key(seq), value).is_ok()); }

  VerifyReport verify() {
    auto r = log_->verify();
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    return r.is_ok() ? *r : VerifyReport{};
  }

  store::TestDir dir_;
  int64_t now_ = 1'700'000'000'000;
  std::unique_ptr<store::KvStore> store_;
  std::unique_ptr<AuditLog> log_;
};

TEST(EscapeControls, WritesEveryControlCharacterAsAnEscape) {
  EXPECT_EQ(escape_controls("WVWZZZ1JZXW000001"), "WVWZZZ1JZXW000001");
  EXPECT_EQ(escape_controls("a\nb\r\tc\x7f"), "a\\u000ab\\u000d\\u0009c\\u007f");
  EXPECT_EQ(escape_controls("nel\xc2\x85 \xc3\xa9"), "nel\\u0085 \xc3\xa9") << "C1 escaped, other UTF-8 kept";
  EXPECT_EQ(escape_controls(std::string("nul\0", 4)), "nul\\u0000");
}

TEST_F(AuditLogTest, EmptyChainIsIntact) {
  auto r = verify();
  EXPECT_TRUE(r.intact()) << r.problem;
  EXPECT_EQ(r.entries, 0u);
  EXPECT_EQ(r.head_hash, kGenesisHash);
  EXPECT_EQ(log_->size(), 0u);
}

TEST_F(AuditLogTest, AppendLinksConsecutiveEntries) {
  Entry a = append("cli:alice", "VIN1");
  Entry b = append("cli:bob", "VIN2");
  EXPECT_EQ(a.seq, 1u);
  EXPECT_EQ(b.seq, 2u);
  EXPECT_EQ(a.prev_hash, kGenesisHash);
  EXPECT_EQ(b.prev_hash, a.hash);
  EXPECT_EQ(a.time_ms, 1'700'000'000'000);
  EXPECT_EQ(b.time_ms, 1'700'000'001'000);
  EXPECT_EQ(a.hash, sha256_hex(canonical(a)));
  EXPECT_EQ(canonical(a).rfind(R"({"seq":1,"time_ms":1700000000000,"actor":"cli:alice","action":"vehicle.register",)", 0), 0u)
      << canonical(a);
  auto r = verify();
  EXPECT_TRUE(r.intact()) << r.problem;
  EXPECT_EQ(r.entries, 2u);
  EXPECT_EQ(r.head_hash, b.hash);
  EXPECT_EQ(log_->head_hash(), b.hash);
}

TEST_F(AuditLogTest, ChainContinuesAfterReopen) {
  append_five();
  reopen();
  EXPECT_EQ(log_->size(), 5u);
  Entry sixth = append("cli:carol", "VIN6");
  EXPECT_EQ(sixth.seq, 6u);
  EXPECT_EQ(sixth.prev_hash, raw(5).substr(raw(5).find(R"("hash":")") + 8, 64));
  auto r = verify();
  EXPECT_TRUE(r.intact()) << r.problem;
  EXPECT_EQ(r.entries, 6u);
}

TEST_F(AuditLogTest, DetailsOfEveryJsonKindVerify) {
  json::object details{{"reason", "moved to Germany"}, {"ratio", 0.1}, {"n", -3}, {"list", json::array{1, "x", nullptr}},
                       {"nested", json::object{{"ok", true}}}};
  ASSERT_TRUE(log_->append(Event{"cli:alice", "vehicle.rehome", "VIN", "eu", details}).is_ok());
  reopen();
  auto tail = log_->tail(1);
  ASSERT_TRUE(tail.is_ok());
  EXPECT_EQ(tail->at(0).details, details);
  EXPECT_TRUE(verify().intact());
}

TEST_F(AuditLogTest, DoublesThatDoNotParseBackExactlyStillVerify) {
  // Boost.JSON 1.81 parses some shortest-form doubles to a neighbouring value; the chain must not
  // call such an entry edited.
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  json::array values;
  for (int i = 0; i < 1000; ++i) values.push_back(unit(rng));
  ASSERT_TRUE(log_->append(Event{"cli:trainer", "learning.train_local", "model", "eu", json::object{{"auc", values}}}).is_ok());
  reopen();
  auto r = verify();
  EXPECT_TRUE(r.intact()) << r.problem;
  ASSERT_TRUE(log_->append(Event{"cli:trainer", "learning.evaluate", "model", "eu", {}}).is_ok()) << "appends continue";
}

TEST_F(AuditLogTest, EditedFieldIsNamed) {
  append_five();
  std::string v = raw(3);
  v.replace(v.find("cli:alice"), 9, "cli:mallo");
  put_raw(3, v);
  auto r = verify();
  EXPECT_FALSE(r.intact());
  EXPECT_EQ(r.bad_seq, 3u);
  EXPECT_EQ(r.entries, 2u);
  EXPECT_NE(r.problem.find("edited"), std::string::npos) << r.problem;
}

TEST_F(AuditLogTest, EditWithRecomputedHashBreaksTheNextLink) {
  append_five();
  json::object o = json::parse(raw(2)).as_object();
  o["subject"] = "FORGED";
  Entry e;
  e.seq = 2;
  e.time_ms = o["time_ms"].to_number<int64_t>();
  e.actor = o["actor"].as_string();
  e.action = o["action"].as_string();
  e.subject = "FORGED";
  e.region = o["region"].as_string();
  e.details = o["details"].as_object();
  e.prev_hash = o["prev_hash"].as_string();
  o["hash"] = sha256_hex(canonical(e));
  put_raw(2, json::serialize(o));
  auto r = verify();
  EXPECT_EQ(r.bad_seq, 3u);
  EXPECT_NE(r.problem.find("does not link to entry 2"), std::string::npos) << r.problem;
}

TEST_F(AuditLogTest, DeletedMiddleEntryIsNamed) {
  append_five();
  ASSERT_TRUE(store_->remove(entry_key(3)).is_ok());
  auto r = verify();
  EXPECT_EQ(r.bad_seq, 3u);
  EXPECT_NE(r.problem.find("entry 3 is missing"), std::string::npos) << r.problem;
}

TEST_F(AuditLogTest, SwappedEntriesAreNamed) {
  append_five();
  const std::string two = raw(2);
  const std::string four = raw(4);
  put_raw(2, four);
  put_raw(4, two);
  auto r = verify();
  EXPECT_EQ(r.bad_seq, 2u);
  EXPECT_NE(r.problem.find("claims sequence 4"), std::string::npos) << r.problem;
}

TEST_F(AuditLogTest, DeletedLastEntryIsDetectedAndBlocksAppends) {
  append_five();
  ASSERT_TRUE(store_->remove(entry_key(5)).is_ok());
  auto r = verify();
  EXPECT_EQ(r.bad_seq, 5u);
  EXPECT_EQ(r.entries, 4u);
  EXPECT_NE(r.problem.find("tail deleted"), std::string::npos) << r.problem;
  reopen();
  auto e = log_->append(Event{"cli:alice", "vehicle.register", "VIN9", "eu", {}});
  ASSERT_FALSE(e.is_ok());
  EXPECT_EQ(e.status().code(), Code::kDataLoss);
  EXPECT_EQ(log_->state().get(entry_key(5)).status().code(), Code::kNotFound);
}

TEST_F(AuditLogTest, ForgedEntryAppendedBehindTheLogsBackIsNamed) {
  append_five();
  Entry forged;
  forged.seq = 6;
  forged.time_ms = now_;
  forged.actor = "cli:mallory";
  forged.action = "vehicle.rehome";
  forged.subject = "VIN1";
  forged.region = "us";
  forged.prev_hash = verify().head_hash;  // correctly linked and hashed: only the head gives it away
  forged.hash = sha256_hex(canonical(forged));
  put_raw(6, json::serialize(to_json(forged)));
  auto r = verify();
  EXPECT_EQ(r.bad_seq, 6u);
  EXPECT_EQ(r.entries, 6u);
  EXPECT_NE(r.problem.find("beyond the head record"), std::string::npos) << r.problem;
}

TEST_F(AuditLogTest, UnlinkedForgedEntryIsNamed) {
  append_five();
  Entry forged;
  forged.seq = 6;
  forged.actor = "cli:mallory";
  forged.action = "x";
  forged.prev_hash = kGenesisHash;
  forged.hash = sha256_hex(canonical(forged));
  put_raw(6, json::serialize(to_json(forged)));
  auto r = verify();
  EXPECT_EQ(r.bad_seq, 6u);
  EXPECT_NE(r.problem.find("does not link"), std::string::npos) << r.problem;
}

TEST_F(AuditLogTest, MissingHeadIsDetected) {
  append_five();
  ASSERT_TRUE(store_->remove("audit/head").is_ok());
  auto r = verify();
  EXPECT_FALSE(r.intact());
  EXPECT_NE(r.problem.find("head record is missing"), std::string::npos) << r.problem;
}

TEST_F(AuditLogTest, GarbageEntryIsNamed) {
  append_five();
  put_raw(4, "\x01\x02 not json");
  auto r = verify();
  EXPECT_EQ(r.bad_seq, 4u);
  EXPECT_NE(r.problem.find("unreadable"), std::string::npos) << r.problem;
  EXPECT_EQ(log_->read(1, 10).status().code(), Code::kDataLoss);
}

TEST_F(AuditLogTest, AppendWithCommitsTheChangeAndEntriesTogether) {
  store::WriteBatch change;
  change.put("vehicle/VIN1", "record");
  auto entries = log_->append_with({Event{"cli:alice", "vehicle.register", "VIN1", "eu", {}},
                                    Event{"cli:alice", "vehicle.register", "VIN2", "eu", {}}},
                                   change);
  ASSERT_TRUE(entries.is_ok()) << entries.status().to_string();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ(entries->at(1).prev_hash, entries->at(0).hash);
  EXPECT_EQ(store_->get("vehicle/VIN1").value(), "record");
  EXPECT_TRUE(verify().intact());
}

TEST_F(AuditLogTest, RejectsBadEventsWithoutWriting) {
  store::WriteBatch sneaky;
  sneaky.remove("audit/head");
  EXPECT_EQ(log_->append_with({Event{"a", "b", "", "", {}}}, sneaky).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(log_->append(Event{"", "vehicle.register", "VIN", "eu", {}}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(log_->append(Event{"cli:alice", "", "VIN", "eu", {}}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(log_->append(Event{"cli:alice", "x", "\xff\xfe", "eu", {}}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(log_->size(), 0u);
  EXPECT_EQ(verify().entries, 0u);
}

TEST_F(AuditLogTest, RefusalsOfOneCallerAreWrittenWithinTheirBudget) {
  auto refuse = [&](const std::string& actor) {
    auto e = log_->append_refusal(Event{actor, "telemetry.query.refused", "VIN", "eu", {}});
    EXPECT_TRUE(e.is_ok()) << e.status().to_string();
    return e.is_ok() && e->has_value();
  };
  now_ = 1'800'000'000'000;  // the start of a minute
  int written = 0;
  for (int i = 0; i < 1000; ++i) written += refuse("operator-us") ? 1 : 0;
  EXPECT_EQ(written, static_cast<int>(RefusalBudget::kPerMinute));
  EXPECT_EQ(log_->size(), RefusalBudget::kPerMinute);
  EXPECT_TRUE(refuse("operator-eu")) << "each caller has a budget of its own";

  now_ += 60'000;
  ASSERT_TRUE(refuse("operator-us"));
  const Entry next = log_->tail(1).value().front();
  EXPECT_EQ(next.details.at("suppressed").to_number<uint64_t>(), 1000u - RefusalBudget::kPerMinute)
      << "the next entry accounts for every refusal not written";
  ASSERT_TRUE(refuse("operator-us"));
  EXPECT_FALSE(log_->tail(1).value().front().details.contains("suppressed"));
  EXPECT_TRUE(verify().intact());
}

TEST_F(AuditLogTest, TailAndReadPage) {
  append_five();
  auto last2 = log_->tail(2);
  ASSERT_TRUE(last2.is_ok());
  ASSERT_EQ(last2->size(), 2u);
  EXPECT_EQ(last2->at(0).seq, 4u);
  EXPECT_EQ(last2->at(1).seq, 5u);
  EXPECT_EQ(log_->tail(100)->size(), 5u);
  EXPECT_TRUE(log_->tail(0)->empty());
  auto page = log_->read(2, 2);
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ(page->at(0).seq, 2u);
  EXPECT_EQ(page->at(1).subject, "VIN3");
  EXPECT_TRUE(log_->read(6, 10)->empty());
}

TEST_F(AuditLogTest, SubjectsFromRequestsCannotForgeLines) {
  const Entry e = append("operator:eve\n2  2026-12-06  cli:root", "VIN1\n3  2026-12-06T00:00:00Z  cli:root  vehicle.delete  VIN2");
  EXPECT_EQ(e.subject.find('\n'), std::string::npos) << e.subject;
  EXPECT_EQ(e.actor.find('\n'), std::string::npos) << e.actor;
  EXPECT_EQ(e.subject, "VIN1\\u000a3  2026-12-06T00:00:00Z  cli:root  vehicle.delete  VIN2");
  auto stored = log_->tail(1);
  ASSERT_TRUE(stored.is_ok());
  EXPECT_EQ(stored->front().subject, e.subject) << "stored escaped, so every reader sees one line";
  auto report = log_->verify();
  ASSERT_TRUE(report.is_ok());
  EXPECT_TRUE(report->intact());
}

// A store over another that records what transact does around its writes: the turns it holds
// (lock) and its waits for durability (begin/end_deferred_sync), which answer `durability`.
class DeferringStore final : public store::KvStore {
 public:
  explicit DeferringStore(store::KvStore& inner) : inner_(inner) {}

  Result<std::string> get(std::string_view key) const override { return inner_.get(key); }
  std::unique_ptr<store::KvIterator> scan(std::string_view prefix, std::string_view start) const override {
    return inner_.scan(prefix, start);
  }
  Status write(const store::WriteBatch& batch, store::WriteOptions options) override { return inner_.write(batch, options); }
  Status write_if(std::string_view key, const std::optional<std::string>& expected, const store::WriteBatch& batch) override {
    return inner_.write_if(key, expected, batch);
  }
  std::unique_ptr<store::KvReader> snapshot() const override { return inner_.snapshot(); }

  Result<std::unique_ptr<store::KvLock>> lock(std::string_view) override {
    return std::unique_ptr<store::KvLock>(new Turn(turns_held));
  }
  void begin_deferred_sync() override { ++begun; }
  Status end_deferred_sync() override {
    ++ended;
    turns_held_at_end = turns_held.load();
    if (on_end) on_end();
    return durability;
  }

  std::atomic<int> turns_held = 0, begun = 0, ended = 0, turns_held_at_end = -1;
  std::function<void()> on_end;  // runs inside each end_deferred_sync
  Status durability = Status::ok();

 private:
  struct Turn final : store::KvLock {
    explicit Turn(std::atomic<int>& held) : held(held) { ++held; }
    ~Turn() override { --held; }
    std::atomic<int>& held;
  };
  store::KvStore& inner_;
};

TEST_F(AuditLogTest, ATransactionWaitsForDurabilityOnceAfterItsTurnEnded) {
  DeferringStore deferring(*store_);
  auto opened = AuditLog::open(deferring);
  ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
  auto log = std::move(opened).value();
  auto register_vin = [&](const std::string& vin) {
    return log->append_with({Event{"cli:alice", "vehicle.register", vin, "eu", {}}}, store::WriteBatch().put("vehicle/" + vin, "r"));
  };
  // While the first transaction waits for durability, another thread's decision runs: the turn
  // (this process's and the store's) is free by then.
  std::atomic<bool> first = true;
  Status other = unavailable("not run");
  deferring.on_end = [&] {
    if (!first.exchange(false)) return;
    std::thread t([&] { other = log->transact([&] { return register_vin("VIN2").status(); }); });
    t.join();
  };
  auto result = log->transact([&] {
    return log->transact([&] { return register_vin("VIN1"); });  // nested: part of the outer one
  });
  ASSERT_TRUE(result.is_ok()) << result.status().to_string();
  EXPECT_TRUE(other.is_ok()) << other.to_string();
  EXPECT_EQ(deferring.begun.load(), 2) << "once per outermost transaction (two threads)";
  EXPECT_EQ(deferring.ended.load(), 2);
  EXPECT_EQ(deferring.turns_held_at_end.load(), 0) << "the store's turn is released before the wait";
  EXPECT_EQ(log->size(), 2u);
}

TEST_F(AuditLogTest, ATransactionNotConfirmedDurableReturnsTheUnknownOutcome) {
  DeferringStore deferring(*store_);
  auto opened = AuditLog::open(deferring);
  ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
  auto log = std::move(opened).value();
  deferring.durability = unavailable("postgres: it committed, but ..., so whether this change was stored is unknown");
  auto result = log->transact([&] { return log->append_with({Event{"cli:alice", "vehicle.register", "VIN1", "eu", {}}}, {}); });
  EXPECT_EQ(result.status().code(), Code::kUnavailable) << "never the decision's success";
  EXPECT_EQ(result.status().message(), deferring.durability.message());
}

}  // namespace
}  // namespace fleetgate::audit
