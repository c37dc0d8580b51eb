#include "fleetgate/query_store/materializer.h"

#include <gtest/gtest.h>

#include <thread>

#include "fleetgate/query_store/block_table_reader.h"
#include "fleetgate/query_store/query_store_test_env.h"
#include "fleetgate/stream/stream_test_env.h"
#include "fleetgate/telemetry/latest_state.h"
#include "fleetgate/telemetry/stored_records.h"

namespace fleetgate::query_store {
namespace {

using telemetry::kNow;
using telemetry::Record;

constexpr const char* kDurable = "materializer";

class MaterializerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(db_.ok());
    ASSERT_TRUE(region_.ok());
    ASSERT_TRUE(stream::ensure_telemetry_streams(region_.connection(), layout_).is_ok());
    auto p = stream::BlockPublisher::create(region_.connection(), layout_);
    ASSERT_TRUE(p.is_ok()) << p.status().to_string();
    publisher_ = std::move(p).value();
  }

  // `n` records of each of `vehicles` sealed into blocks, every block published; the records.
  std::vector<std::vector<Record>> publish_records(size_t vehicles, size_t n) {
    std::vector<std::vector<Record>> out;
    for (size_t v = 0; v < vehicles; ++v) {
      out.push_back(records_of(kVins[v], kNow + static_cast<int64_t>(v), n, 1));
      for (const BlockRow& b : seal(codec_, out.back())) publish(b);
    }
    return out;
  }
  void publish(const BlockRow& b) {
    auto acked = stream::publish_and_wait(*publisher_, {b.pseudonym, b.created_at_ms, b.seq}, b.block);
    ASSERT_TRUE(acked.is_ok()) << acked.status().to_string();
  }
  int shard_of(const std::string& vin) { return stream::shard_of(*codec_.pseudonym(vin), layout_.shards); }

  std::unique_ptr<stream::BlockReader> reader(int shard, stream::ReaderOptions options = {}) {
    auto r = stream::BlockReader::open(region_.connection(), layout_, shard, kDurable, options);
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    return r.is_ok() ? std::move(r).value() : nullptr;
  }

  // What scan_records reads of `vin` from the query store.
  std::vector<Record> scan_back(const std::string& vin) {
    std::vector<Record> out;
    BlockTableReader reader(db_.store());
    Status s = telemetry::scan_records(reader, codec_, telemetry::RecordRange{*codec_.pseudonym(vin)}, [&](Record&& r) {
      out.push_back(std::move(r));
      return true;
    });
    EXPECT_TRUE(s.is_ok()) << s.to_string();
    return out;
  }
  size_t stored_blocks(const std::string& vin) {
    auto rows = db_.store().scan(*codec_.pseudonym(vin), {}, std::numeric_limits<int64_t>::max(), 1'000'000);
    EXPECT_TRUE(rows.is_ok()) << rows.status().to_string();
    return rows.is_ok() ? rows->size() : 0;
  }

  QueryStoreDb db_;
  stream::RegionCluster region_{"cn"};
  stream::StreamLayout layout_ = stream::test_layout("cn", 2);
  telemetry::RecordCodec codec_{privacy::fixed_keys("cn", 7)};
  std::unique_ptr<stream::BlockPublisher> publisher_;
};

void expect_seqs(const std::vector<Record>& got, const std::vector<Record>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].created_at_ms, want[i].created_at_ms) << i;
    EXPECT_EQ(got[i].seq, want[i].seq) << i;
    EXPECT_EQ(got[i].data, want[i].data) << i;
  }
}

// One materializer per shard, each on its own thread until stopped, as a region would run them.
TEST_F(MaterializerTest, PublishedBlocksLandOnceScanBackInOrderAndLeaveTheNewestState) {
  const auto want = publish_records(4, 150);  // 150 s of records: 3 blocks per vehicle
  publish(seal(codec_, want[0]).front());     // a client's resend: the stream drops it
  const size_t blocks = 4 * 3;
  size_t in_shard[2] = {0, 0};
  for (size_t v = 0; v < 4; ++v) in_shard[shard_of(kVins[v])] += 3;
  const int lagging = in_shard[0] > 0 ? 0 : 1;

  std::vector<std::unique_ptr<stream::BlockReader>> readers;
  std::vector<std::unique_ptr<QueryStore>> stores;
  std::vector<std::unique_ptr<Materializer>> materializers;
  for (int shard = 0; shard < 2; ++shard) {
    readers.push_back(reader(shard));
    stores.push_back(db_.open());
    ASSERT_TRUE(readers.back() && stores.back());
    materializers.push_back(std::make_unique<Materializer>(*readers.back(), *stores.back(), codec_,
                                                           MaterializerOptions{shard == lagging ? 1 : 4, std::chrono::milliseconds(200)}));
  }
  // One block at a time on one shard first: the lag is what its stream still holds.
  auto first = materializers[lagging]->step();
  ASSERT_TRUE(first.is_ok()) << first.status().to_string();
  ASSERT_EQ(*first, 1u);
  EXPECT_EQ(materializers[lagging]->stats().lag.load(), in_shard[lagging] - 1);

  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int shard = 0; shard < 2; ++shard) {
    threads.emplace_back([&, shard] { materializers[shard]->run(stop); });
  }
  auto done = [&] { return materializers[0]->stats().blocks + materializers[1]->stats().blocks; };
  for (int i = 0; i < 600 && done() < blocks; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  stop = true;
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(materializers[0]->stats().failed_rounds + materializers[1]->stats().failed_rounds, 0u);
  EXPECT_EQ(done(), blocks);
  EXPECT_EQ(materializers[0]->stats().new_blocks + materializers[1]->stats().new_blocks, blocks);
  EXPECT_EQ(materializers[0]->stats().records + materializers[1]->stats().records, 4u * 150);
  EXPECT_EQ(materializers[lagging]->stats().lag.load(), 0u);

  std::vector<std::string> pseudonyms;
  for (size_t v = 0; v < 4; ++v) {
    EXPECT_EQ(stored_blocks(kVins[v]), 3u) << kVins[v];
    expect_seqs(scan_back(kVins[v]), want[v]);
    pseudonyms.push_back(*codec_.pseudonym(kVins[v]));
  }
  auto states = db_.store().latest(pseudonyms);
  ASSERT_TRUE(states.is_ok()) << states.status().to_string();
  ASSERT_EQ(states->size(), 4u);
  for (const StateRow& row : *states) {
    std::vector<Record> opened;
    ASSERT_TRUE(codec_.decode(row.state, opened).is_ok());
    const telemetry::LatestState state = telemetry::LatestState::from_record(opened.front());
    EXPECT_EQ(row.seq, 150u);
    EXPECT_EQ(state.seq, 150u);
    EXPECT_EQ(state.speed_kmh(), 149.0);  // the newest record's
    EXPECT_EQ(state.gear(), "D");         // folded from fields the newest record did not change
  }
}

// A materializer that dies after its COMMIT and before its acks: the blocks come again to the
// next one on the durable consumer, which stores none of them twice.
TEST_F(MaterializerTest, BlocksCommittedButNotAckedComeAgainAndAreStoredOnce) {
  const auto want = publish_records(1, 150);
  const int shard = shard_of(kVins[0]);
  const stream::ReaderOptions quick_redelivery{std::chrono::seconds(1)};
  {
    auto crashing = reader(shard, quick_redelivery);
    ASSERT_TRUE(crashing);
    Materializer m(*crashing, db_.store(), codec_);
    std::vector<stream::Delivery> fetched;
    for (int i = 0; i < 50 && fetched.size() < 3; ++i) {
      auto batch = crashing->fetch(3, std::chrono::milliseconds(200));
      ASSERT_TRUE(batch.is_ok()) << batch.status().to_string();
      for (stream::Delivery& d : *batch) fetched.push_back(std::move(d));
    }
    ASSERT_EQ(fetched.size(), 3u);
    ASSERT_TRUE(m.commit(fetched).is_ok());
  }  // gone without acking
  ASSERT_EQ(stored_blocks(kVins[0]), 3u);

  auto next = reader(shard, quick_redelivery);
  ASSERT_TRUE(next);
  Materializer m(*next, db_.store(), codec_, MaterializerOptions{256, std::chrono::milliseconds(200)});
  for (int i = 0; i < 100 && m.stats().blocks < 3; ++i) ASSERT_TRUE(m.step().is_ok());
  EXPECT_EQ(m.stats().blocks, 3u) << "the unacked blocks were delivered again";
  EXPECT_EQ(m.stats().new_blocks, 0u);
  EXPECT_EQ(stored_blocks(kVins[0]), 3u);
  expect_seqs(scan_back(kVins[0]), want[0]);
  auto extra = next->fetch(10, std::chrono::milliseconds(1500));
  ASSERT_TRUE(extra.is_ok());
  EXPECT_TRUE(extra->empty()) << "acked after the second commit: not delivered a third time";
}

// A message without a block Msg-Id cannot be keyed: it is acked and counted, not stored. A block
// the codec cannot open is stored as published (scan_records then reports it as data loss, as it
// would from the embedded store) and folds nothing into the state. Neither stops the others.
TEST_F(MaterializerTest, UnkeyableMessagesAreRefusedAndUnopenableBlocksStoredWithoutState) {
  const auto want = publish_records(1, 10);
  const int shard = shard_of(kVins[0]);
  const std::string subject = stream::stream_subject("cn", shard);
  jsPubAck* ack = nullptr;
  ASSERT_EQ(js_Publish(&ack, region_.connection().js(), subject.c_str(), "no msg id", 9, nullptr, nullptr), NATS_OK);
  jsPubAck_Destroy(ack);
  std::string pseudonym = "p_bad";  // a vehicle on the same shard, so one reader sees all three
  for (int i = 0; stream::shard_of(pseudonym, layout_.shards) != shard; ++i) pseudonym = "p_bad" + std::to_string(i);
  publish({pseudonym, kNow, 1, "not a sealed block"});
  // Keyed, but in the year 10001: no day partition can hold it.
  publish({pseudonym, 253'433'923'200'000, 1, seal(codec_, want[0]).front().block});
  const size_t expected = 4;

  auto r = reader(shard);
  ASSERT_TRUE(r);
  Materializer m(*r, db_.store(), codec_, MaterializerOptions{256, std::chrono::milliseconds(200)});
  for (int i = 0; i < 50 && m.stats().blocks < expected; ++i) ASSERT_TRUE(m.step().is_ok());
  EXPECT_EQ(m.stats().blocks, expected);
  EXPECT_EQ(m.stats().refused, 2u);
  expect_seqs(scan_back(kVins[0]), want[0]);
  EXPECT_EQ(m.stats().undecodable, 1u);
  auto stored = db_.store().scan(pseudonym, {}, std::numeric_limits<int64_t>::max(), 10);
  ASSERT_TRUE(stored.is_ok());
  EXPECT_EQ(stored->size(), 1u);
  Status s = telemetry::scan_records(BlockTableReader(db_.store()), codec_, telemetry::RecordRange{pseudonym},
                                     [](Record&&) { return true; });
  EXPECT_EQ(s.code(), Code::kDataLoss) << s.to_string();
  auto states = db_.store().latest(std::vector<std::string>{pseudonym});
  ASSERT_TRUE(states.is_ok());
  EXPECT_TRUE(states->empty());
}

// A database that refuses the blocks (here a trigger; in life a full disk, a revoked grant): the
// materializer keeps trying without acking, shows that it fails, and stores every block once
// when the database takes them again.
TEST_F(MaterializerTest, ARefusingDatabaseIsTriedUntilItTakesTheBlocks) {
  const auto want = publish_records(1, 150);
  ASSERT_EQ(testing::query_value(db_.dsn(),
                                 "CREATE FUNCTION refuse_blocks() RETURNS trigger LANGUAGE plpgsql AS "
                                 "$$BEGIN RAISE EXCEPTION 'refused by the test'; END$$; "
                                 "CREATE TRIGGER refuse BEFORE INSERT ON telemetry_blocks "
                                 "FOR EACH ROW EXECUTE FUNCTION refuse_blocks(); SELECT 'armed'"),
            "armed");
  auto r = reader(shard_of(kVins[0]));
  ASSERT_TRUE(r);
  Materializer m(*r, db_.store(), codec_, MaterializerOptions{256, std::chrono::milliseconds(100)});
  std::atomic<bool> stop{false};
  std::vector<bool> changes;  // on_failing runs on the materializer's thread only
  std::thread t([&] { m.run(stop, [&](bool failing) { changes.push_back(failing); }); });
  for (int i = 0; i < 200 && m.stats().failed_rounds < 3; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_GE(m.stats().failed_rounds, 3u);
  EXPECT_TRUE(m.stats().failing);
  EXPECT_EQ(m.stats().blocks, 0u) << "nothing acked while the database refuses";

  ASSERT_EQ(testing::query_value(db_.dsn(), "DROP TRIGGER refuse ON telemetry_blocks; SELECT 'disarmed'"), "disarmed");
  for (int i = 0; i < 200 && m.stats().blocks < 3; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  stop = true;
  t.join();
  EXPECT_FALSE(m.stats().failing);
  EXPECT_EQ(changes, (std::vector<bool>{true, false}));
  EXPECT_EQ(stored_blocks(kVins[0]), 3u);
  expect_seqs(scan_back(kVins[0]), want[0]);
}

}  // namespace
}  // namespace fleetgate::query_store
