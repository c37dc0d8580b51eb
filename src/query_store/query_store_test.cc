#include "fleetgate/query_store/query_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <limits>
#include <map>

#include "fleetgate/privacy/pseudonymiser.h"
#include "fleetgate/query_store/block_table_reader.h"
#include "fleetgate/query_store/materializer.h"
#include "fleetgate/query_store/query_store_test_env.h"
#include "fleetgate/store/pg_connection.h"
#include "fleetgate/telemetry/latest_state.h"
#include "fleetgate/telemetry/stored_records.h"

namespace fleetgate::query_store {
namespace {

using telemetry::kNow;
using telemetry::Record;
using telemetry::RecordRange;

class QueryStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(db_.ok()); }

  // Every record of `vin` in [from_ms, to_ms], read back through scan_records over the query store.
  std::vector<Record> scan_back(const std::string& vin, int64_t from_ms = std::numeric_limits<int64_t>::min(),
                                int64_t to_ms = std::numeric_limits<int64_t>::max(), Status* status = nullptr) {
    std::vector<Record> out;
    BlockTableReader reader(db_.store(), 2);  // pages of 2 blocks: every scan crosses pages
    const Status s = telemetry::scan_records(reader, codec_, RecordRange{*codec_.pseudonym(vin), from_ms, to_ms},
                                             [&](Record&& r) {
                                               out.push_back(std::move(r));
                                               return true;
                                             });
    if (status != nullptr) {
      *status = s;
    } else {
      EXPECT_TRUE(s.is_ok()) << s.to_string();
    }
    return out;
  }

  size_t stored_blocks(const std::string& pseudonym) {
    auto rows = db_.store().scan(pseudonym, {}, std::numeric_limits<int64_t>::max(), 1'000'000);
    EXPECT_TRUE(rows.is_ok()) << rows.status().to_string();
    return rows.is_ok() ? rows->size() : 0;
  }

  QueryStoreDb db_;
  telemetry::RecordCodec codec_{privacy::fixed_keys("cn", 7)};
};

void expect_same(const std::vector<Record>& got, const std::vector<Record>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].vin, want[i].vin);
    EXPECT_EQ(got[i].created_at_ms, want[i].created_at_ms) << i;
    EXPECT_EQ(got[i].seq, want[i].seq) << i;
    EXPECT_EQ(got[i].data, want[i].data) << i;
  }
}

TEST_F(QueryStoreTest, MigrationIsIdempotentAndOpenRefusesAnUnmigratedDatabase) {
  auto again = migrate_region_pg(db_.dsn());
  ASSERT_TRUE(again.is_ok()) << again.status().to_string();
  EXPECT_EQ(*again, kRegionSchemaVersion);

  testing::PgServer bare;
  ASSERT_FALSE(bare.dsn().empty());
  auto refused = QueryStore::open(bare.dsn());
  EXPECT_EQ(refused.status().code(), Code::kFailedPrecondition) << refused.status().to_string();
  EXPECT_NE(refused.status().message().find("missing"), std::string::npos) << refused.status().to_string();
}

// The blocks are the real codec's sealed blocks; scan_records decodes them and checks each sits
// under its first record's key, unchanged, over the query store.
TEST_F(QueryStoreTest, SealedBlocksScanBackInOrderThroughTheExistingDecoding) {
  std::vector<std::vector<Record>> want;
  std::vector<BlockRow> blocks;
  for (size_t v = 0; v < 2; ++v) {
    want.push_back(records_of(kVins[v], kNow + static_cast<int64_t>(v), 200, 1));  // 200 s: 4 blocks each
    for (BlockRow& b : seal(codec_, want.back())) blocks.push_back(std::move(b));
  }
  std::reverse(blocks.begin(), blocks.end());  // the order of writing does not matter
  auto written = db_.store().write(blocks);
  ASSERT_TRUE(written.is_ok()) << written.status().to_string();
  EXPECT_EQ(written->blocks_added, blocks.size());
  for (size_t v = 0; v < 2; ++v) expect_same(scan_back(kVins[v]), want[v]);

  // A window in the middle: records from blocks that start before it are found too.
  auto window = scan_back(kVins[0], kNow + 70'500, kNow + 130'000);
  ASSERT_EQ(window.size(), 60u);
  EXPECT_EQ(window.front().seq, 72u);
  EXPECT_EQ(window.back().seq, 131u);

  // Paging through scan() itself: (created_at, seq) order, each block once.
  const std::string p = *codec_.pseudonym(kVins[0]);
  std::vector<uint64_t> seqs;
  BlockPosition from;
  for (int page = 0; page < 10; ++page) {
    auto rows = db_.store().scan(p, from, std::numeric_limits<int64_t>::max(), 3);
    ASSERT_TRUE(rows.is_ok()) << rows.status().to_string();
    for (const BlockRow& r : *rows) seqs.push_back(r.seq);
    if (rows->size() < 3) break;
    from = next_position(rows->back().created_at_ms, rows->back().seq);
  }
  EXPECT_EQ(seqs, (std::vector<uint64_t>{1, 62, 123, 184}));  // a block spans 60 s inclusive: 61 records
}

// Exports and curation scan every vehicle of the region: the same scan_records over the reader
// with an empty pseudonym, in the embedded store's key order, across pages.
TEST_F(QueryStoreTest, EveryVehiclesBlocksScanInKeyOrderAcrossPages) {
  std::map<std::string, std::vector<Record>> want;  // by pseudonym: the order of the scan
  std::vector<BlockRow> blocks;
  for (size_t v = 0; v < 4; ++v) {
    const auto records = records_of(kVins[v], kNow + static_cast<int64_t>(v), 130, 1);  // 3 blocks each
    want[*codec_.pseudonym(kVins[v])] = records;
    for (BlockRow& b : seal(codec_, records)) blocks.push_back(std::move(b));
  }
  ASSERT_TRUE(db_.store().write(blocks).is_ok());
  std::vector<Record> got;
  BlockTableReader reader(db_.store(), 2);
  ASSERT_TRUE(telemetry::scan_records(reader, codec_, RecordRange{}, [&](Record&& r) {
                got.push_back(std::move(r));
                return true;
              }).is_ok());
  std::vector<Record> expected;
  for (const auto& [_, records] : want) expected.insert(expected.end(), records.begin(), records.end());
  expect_same(got, expected);
  auto counted = telemetry::count_records(reader, RecordRange{});
  ASSERT_TRUE(counted.is_ok()) << counted.status().to_string();
  EXPECT_EQ(*counted, 4u * 130u);
  // Such a scan starts at the first block: a start key is refused, not ignored.
  auto from_middle = reader.scan(privacy::kPseudonymPrefix, telemetry::encode_store_key(blocks[1].pseudonym, 0, 0));
  EXPECT_FALSE(from_middle->valid());
  EXPECT_EQ(from_middle->status().code(), Code::kInvalidArgument);
}

// A car that lost its ack resends its records regrouped, after the stream's duplicate window: the
// block under the same key holds more records. The materializer's merge keeps every record.
TEST_F(QueryStoreTest, AResentBlockWithMoreRecordsIsMergedIntoTheStoredOne) {
  const auto first = records_of(kVins[0], kNow, 10, 1);
  ASSERT_TRUE(db_.store().write(seal(codec_, first)).is_ok());
  const auto regrouped = records_of(kVins[0], kNow, 20, 1);  // the same 10, then 10 more
  std::atomic<uint64_t> conflicts{0};
  const BlockMerge merge = [&](const BlockRow& stored, std::string_view written) {
    return merge_resent_block(codec_, stored, written, conflicts);
  };
  auto written = db_.store().write(seal(codec_, regrouped), {}, merge);
  ASSERT_TRUE(written.is_ok()) << written.status().to_string();
  EXPECT_EQ(written->blocks_merged, 1u);
  expect_same(scan_back(kVins[0]), regrouped);
  EXPECT_EQ(stored_blocks(*codec_.pseudonym(kVins[0])), 1u);

  // Sealed again (new nonces, other bytes) with nothing new: the stored block stays as it was.
  written = db_.store().write(seal(codec_, regrouped), {}, merge);
  ASSERT_TRUE(written.is_ok());
  EXPECT_EQ(written->blocks_merged, 0u);
  // Other values for stored records never replace them; they are counted.
  auto other = records_of(kVins[0], kNow, 20, 1);
  for (Record& r : other) r.data.at(0).value = 99.0;
  written = db_.store().write(seal(codec_, other), {}, merge);
  ASSERT_TRUE(written.is_ok());
  EXPECT_EQ(conflicts.load(), 20u);
  expect_same(scan_back(kVins[0]), regrouped);
  // Without a merge (the default), a block under a stored key is left as it was.
  auto more = records_of(kVins[0], kNow, 30, 1);
  written = db_.store().write(seal(codec_, more));
  ASSERT_TRUE(written.is_ok());
  EXPECT_EQ(written->blocks_added, 0u);
  EXPECT_EQ(scan_back(kVins[0]).size(), 20u);
}

TEST_F(QueryStoreTest, ABlockUnderAnotherRecordsKeyFailsTheIntegrityCheck) {
  std::vector<BlockRow> blocks = seal(codec_, records_of(kVins[0], kNow, 5, 1));
  ASSERT_EQ(blocks.size(), 1u);
  blocks[0].seq = 2;  // the block's first record is seq 1
  ASSERT_TRUE(db_.store().write(blocks).is_ok());
  Status s;
  scan_back(kVins[0], std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), &s);
  EXPECT_EQ(s.code(), Code::kDataLoss) << s.to_string();
}

TEST_F(QueryStoreTest, WritingTheSameBlocksAgainStoresThemOnce) {
  const std::vector<Record> want = records_of(kVins[0], kNow, 120, 1);
  const std::vector<BlockRow> blocks = seal(codec_, want);
  auto first = db_.store().write(blocks);
  ASSERT_TRUE(first.is_ok()) << first.status().to_string();
  EXPECT_EQ(first->blocks_added, blocks.size());

  std::vector<BlockRow> twice = blocks;  // a redelivered batch, and a block twice within one batch
  twice.push_back(blocks.front());
  auto second = db_.store().write(twice);
  ASSERT_TRUE(second.is_ok()) << second.status().to_string();
  EXPECT_EQ(second->blocks_added, 0u);
  EXPECT_EQ(stored_blocks(blocks.front().pseudonym), blocks.size());
  expect_same(scan_back(kVins[0]), want);
}

// A restart of the region's PostgreSQL ends the store's session while it is idle: the next read
// goes on a new session rather than fail (a gateway's read right after a database restart).
TEST_F(QueryStoreTest, TheFirstReadsAfterTheServerRestartedSucceed) {
  const std::vector<BlockRow> blocks = seal(codec_, records_of(kVins[0], kNow, 120, 1));
  auto written = db_.store().write(blocks, [&](std::vector<StateRow>) -> Result<std::vector<StateRow>> {
    return std::vector<StateRow>{{blocks.front().pseudonym, kNow, 1, "state"}};
  });
  ASSERT_TRUE(written.is_ok()) << written.status().to_string();
  for (const auto mode : {testing::PgServer::Shutdown::kFast, testing::PgServer::Shutdown::kImmediate}) {
    ASSERT_TRUE(db_.server().stop(mode));
    ASSERT_TRUE(db_.server().start());
    EXPECT_EQ(stored_blocks(blocks.front().pseudonym), blocks.size());
    ASSERT_TRUE(db_.server().stop(mode));
    ASSERT_TRUE(db_.server().start());
    auto states = db_.store().latest(std::vector<std::string>{blocks.front().pseudonym});
    ASSERT_TRUE(states.is_ok()) << states.status().to_string();
    EXPECT_EQ(states->size(), 1u);
  }
  ASSERT_TRUE(db_.server().stop());
  auto down = db_.store().scan(blocks.front().pseudonym, {}, kNow, 1);
  EXPECT_EQ(down.status().code(), Code::kUnavailable) << down.status().to_string();  // not retried forever
  ASSERT_TRUE(db_.server().start());
}

// seq is a uint64: blocks past 2^63 order after the others, as in the embedded store's keys.
TEST_F(QueryStoreTest, SeqsOfTheFullUint64RangeKeepTheirOrder) {
  const uint64_t big = (uint64_t{1} << 63) + 5;
  std::vector<BlockRow> blocks;
  for (uint64_t seq : {big, uint64_t{7}, std::numeric_limits<uint64_t>::max()}) {
    for (BlockRow& b : seal(codec_, records_of(kVins[0], kNow, 1, seq))) blocks.push_back(std::move(b));
  }
  ASSERT_TRUE(db_.store().write(blocks).is_ok());
  auto rows = db_.store().scan(blocks[0].pseudonym, {}, std::numeric_limits<int64_t>::max(), 10);
  ASSERT_TRUE(rows.is_ok());
  std::vector<uint64_t> seqs;
  for (const BlockRow& r : *rows) seqs.push_back(r.seq);
  EXPECT_EQ(seqs, (std::vector<uint64_t>{7, big, std::numeric_limits<uint64_t>::max()}));
  seqs.clear();
  for (const Record& r : scan_back(kVins[0])) seqs.push_back(r.seq);
  EXPECT_EQ(seqs, (std::vector<uint64_t>{7, big, std::numeric_limits<uint64_t>::max()}));
}

TEST_F(QueryStoreTest, BlocksArePartitionedByDayAndDropBeforeDropsWholeDays) {
  constexpr int64_t kDay = 86'400'000;
  const int64_t midnight = day_start_ms(day_of(kNow));
  std::vector<BlockRow> blocks;
  for (int d = 0; d < 3; ++d) {
    for (BlockRow& b : seal(codec_, records_of(kVins[0], midnight + d * kDay + 1000, 2, 10 * static_cast<uint64_t>(d)))) {
      blocks.push_back(std::move(b));
    }
  }
  ASSERT_TRUE(db_.store().write(blocks).is_ok());
  const Day first = day_of(kNow);
  auto days = db_.store().days();
  ASSERT_TRUE(days.is_ok()) << days.status().to_string();
  EXPECT_EQ(*days, (std::vector<Day>{first, first + std::chrono::days(1), first + std::chrono::days(2)}));

  auto dropped = db_.store().drop_before(first + std::chrono::days(2));
  ASSERT_TRUE(dropped.is_ok()) << dropped.status().to_string();
  EXPECT_EQ(*dropped, 2u);
  EXPECT_EQ(*db_.store().days(), (std::vector<Day>{first + std::chrono::days(2)}));
  std::vector<uint64_t> seqs;
  for (const Record& r : scan_back(kVins[0])) seqs.push_back(r.seq);
  EXPECT_EQ(seqs, (std::vector<uint64_t>{20, 21}));

  // A late block of a dropped day gets its partition again, also from a store that still believed
  // in the partition when another node's retention dropped it: its write fails once, the next works.
  auto other = db_.open();
  ASSERT_TRUE(other != nullptr);
  ASSERT_TRUE(other->write(std::span(blocks).first(1)).is_ok());
  ASSERT_EQ(db_.store().drop_before(first + std::chrono::days(1)).value(), 1u);
  auto late = other->write(std::span(blocks).first(1));
  EXPECT_EQ(late.status().code(), Code::kUnavailable) << "its cached partition was dropped by the other store";
  auto retried = other->write(std::span(blocks).first(1));
  ASSERT_TRUE(retried.is_ok()) << retried.status().to_string();
  EXPECT_EQ(retried->blocks_added, 1u);
}

TEST_F(QueryStoreTest, LatestStateKeepsTheNewest) {
  const std::string p = *codec_.pseudonym(kVins[0]);
  auto state_at = [&](int64_t t, uint64_t seq, double speed) {
    telemetry::LatestState s;
    s.vin = kVins[0];
    s.updated_at_ms = t;
    s.seq = seq;
    s.values[telemetry::Field::kSpeed] = speed;
    return StateRow{p, t, seq, codec_.encode(s.to_record(), p)->value};
  };
  auto speed_stored = [&]() {
    auto rows = db_.store().latest(std::vector<std::string>{p, "p_nobody"});
    EXPECT_TRUE(rows.is_ok()) << rows.status().to_string();
    EXPECT_EQ(rows->size(), 1u);
    std::vector<Record> opened;
    EXPECT_TRUE(codec_.decode(rows->front().state, opened).is_ok());
    return *telemetry::LatestState::from_record(opened.front()).speed_kmh();
  };
  auto upsert = [&](std::vector<StateRow> rows) {
    auto written = db_.store().write({}, [&](std::vector<StateRow>) -> Result<std::vector<StateRow>> { return rows; });
    EXPECT_TRUE(written.is_ok()) << written.status().to_string();
    return written.is_ok() ? written->states_changed : 0;
  };
  EXPECT_EQ(upsert({state_at(kNow, 5, 10)}), 1u);
  EXPECT_EQ(upsert({state_at(kNow - 1, 9, 20), state_at(kNow, 4, 30)}), 0u);
  EXPECT_EQ(speed_stored(), 10);
  EXPECT_EQ(upsert({state_at(kNow, 6, 40), state_at(kNow + 1, 0, 50), state_at(kNow, 7, 60)}), 1u);
  EXPECT_EQ(speed_stored(), 50);

  // The fold sees the stored states of the blocks' vehicles, and its error rolls the write back.
  const std::vector<BlockRow> blocks = seal(codec_, records_of(kVins[0], kNow, 1, 1));
  std::vector<StateRow> seen;
  auto refused = db_.store().write(blocks, [&](std::vector<StateRow> stored) -> Result<std::vector<StateRow>> {
    seen = std::move(stored);
    return invalid_argument("the fold refuses");
  });
  EXPECT_EQ(refused.status().code(), Code::kInvalidArgument);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].pseudonym, p);
  EXPECT_EQ(seen[0].created_at_ms, kNow + 1);
  EXPECT_EQ(stored_blocks(p), 0u);
}

}  // namespace
}  // namespace fleetgate::query_store
