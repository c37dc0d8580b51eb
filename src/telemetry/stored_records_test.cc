#include "fleetgate/telemetry/stored_records.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <optional>
#include <tuple>

#include "fleetgate/privacy/test_keys.h"
#include "fleetgate/store/embedded_store.h"
#include "fleetgate/store/test_dir.h"
#include "fleetgate/telemetry/store_key.h"
#include "fleetgate/telemetry/test_records.h"

namespace fleetgate::telemetry {
namespace {

constexpr std::string_view kOtherVin = "WVWZZZ1JZXW000001";

class StoredRecordsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::open_embedded(dir_.path() / "eu");
    ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
    store_ = std::move(opened).value();
  }

  // Seals `records` of `vin` as the codec does and writes the blocks in one batch.
  void write_sealed(std::string_view vin, const std::vector<Record>& records) {
    std::vector<StoredForm> blocks;
    ASSERT_TRUE(codec_.encode(records, *codec_.pseudonym(vin), blocks).is_ok());
    store::WriteBatch batch;
    for (const StoredForm& b : blocks) batch.put(b.key, b.value);
    ASSERT_TRUE(store_->write(batch).is_ok());
  }

  // One batch of `n` records of `vin`, one second apart from `start_ms`.
  void store_batch(std::string_view vin, int64_t start_ms, size_t n, uint64_t first_seq) {
    std::vector<Record> records;
    for (size_t i = 0; i < n; ++i) {
      Record r = sample_record();
      r.vin = std::string(vin);
      r.created_at_ms = start_ms + static_cast<int64_t>(i) * 1000;
      r.seq = first_seq + i;
      records.push_back(std::move(r));
    }
    write_sealed(vin, records);
  }

  // One batch of `vin`'s records at (created_at, seq), each with `speed`, sealed as the codec does.
  void store_records(std::string_view vin, const std::vector<std::pair<int64_t, uint64_t>>& keys, double speed = 1) {
    std::vector<Record> records;
    for (const auto& [t, seq] : keys) {
      Record r = sample_record();
      r.vin = std::string(vin);
      r.created_at_ms = t;
      r.seq = seq;
      r.data = {{Field::kSpeed, speed}};
      records.push_back(std::move(r));
    }
    write_sealed(vin, records);
  }

  // Every record in `range` after `after`, as (pseudonym, created_at, seq, speed), at most `limit`.
  using Seen = std::tuple<std::string, int64_t, uint64_t, double>;
  std::vector<Seen> scan(const RecordRange& range, const std::optional<RecordPosition>& after = {},
                         size_t limit = SIZE_MAX) {
    std::vector<Seen> out;
    Status s = scan_records(*store_, codec_, range, [&](Record&& r) {
      out.emplace_back(r.pseudonym, r.created_at_ms, r.seq, std::get<double>(r.data.at(0).value));
      return out.size() < limit;
    }, after);
    EXPECT_TRUE(s.is_ok()) << s.to_string();
    return out;
  }

  std::vector<uint64_t> seqs(const RecordRange& range, size_t limit = SIZE_MAX) {
    std::vector<uint64_t> out;
    Status s = scan_records(*store_, codec_, range, [&](Record&& r) {
      out.push_back(r.seq);
      return out.size() < limit;
    });
    EXPECT_TRUE(s.is_ok()) << s.to_string();
    auto n = count_records(*store_, range);
    EXPECT_TRUE(n.is_ok());
    if (limit == SIZE_MAX) {
      EXPECT_EQ(*n, out.size()) << "count_records agrees with scan_records";
    }
    return out;
  }

  store::TestDir dir_;
  std::unique_ptr<store::KvStore> store_;
  RecordCodec codec_{privacy::fixed_keys("eu", 3)};
};

TEST_F(StoredRecordsTest, AWindowFindsRecordsInsideBlocksThatStartBeforeIt) {
  store_batch(kVin, kNow, 40, 1);           // seq 1..40 at kNow + 0..39 s: one block
  store_batch(kVin, kNow + 40'000, 40, 41);  // seq 41..80: a block starting at +40 s
  store_batch(kOtherVin, kNow, 40, 1);
  const std::string p = *codec_.pseudonym(kVin);
  EXPECT_EQ(seqs({p, kNow + 30'000, kNow + 44'000}),
            (std::vector<uint64_t>{31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45}));
  EXPECT_EQ(seqs({p, kNow + 79'000, kNow + 90'000}), std::vector<uint64_t>{80});
  EXPECT_TRUE(seqs({p, kNow - 10'000, kNow - 1}).empty());
  EXPECT_EQ(seqs({p}).size(), 80u);
  EXPECT_EQ(seqs({p}, 3), (std::vector<uint64_t>{1, 2, 3})) << "visit stops the scan";
  EXPECT_EQ(seqs({"", kNow + 39'000, kNow + 39'000}).size(), 2u) << "every vehicle";
  EXPECT_EQ(seqs({}).size(), 120u);
}

// Two ingest batches whose times interleave are stored as two overlapping blocks; a reader still
// gets one vehicle's records in (created_at, seq) order, and vehicles one after the other.
TEST_F(StoredRecordsTest, OverlappingBlocksAreReadInTimeAndSeqOrder) {
  std::vector<std::pair<int64_t, uint64_t>> odd, even;
  for (uint64_t seq = 1; seq <= 20; ++seq) {
    (seq % 2 ? odd : even).emplace_back(kNow + static_cast<int64_t>(seq) * 1000, seq);
  }
  store_records(kVin, odd);
  store_records(kVin, even);
  store_records(kOtherVin, even);
  store_records(kOtherVin, odd);
  const std::string p = *codec_.pseudonym(kVin);
  std::vector<uint64_t> one_to_twenty(20);
  std::iota(one_to_twenty.begin(), one_to_twenty.end(), 1);
  EXPECT_EQ(seqs({p}), one_to_twenty);
  EXPECT_EQ(seqs({p, kNow + 5'000, kNow + 8'000}), (std::vector<uint64_t>{5, 6, 7, 8}));
  EXPECT_EQ(seqs({p}, 3), (std::vector<uint64_t>{1, 2, 3})) << "visit stops the merge too";

  const std::vector<Seen> everyone = scan({});
  ASSERT_EQ(everyone.size(), 40u);
  EXPECT_TRUE(std::is_sorted(everyone.begin(), everyone.end())) << "by vehicle, then created_at and seq";
}

// A vehicle that reused a (created_at, seq) in a later batch has both records stored, in blocks
// of their own keys. Pages that resume from RecordPosition, of any size, see each record once and
// in the order of one whole scan, also when a page ends between the two.
TEST_F(StoredRecordsTest, APositionResumesTheScanRightAfterTheLastRecordSeen) {
  store_records(kVin, {{kNow, 1}, {kNow + 10, 2}, {kNow + 20, 3}, {kNow + 30, 4}, {kNow + 40, 5}}, 1);
  store_records(kVin, {{kNow + 5, 9}, {kNow + 20, 3}, {kNow + 20, 3}, {kNow + 35, 4}}, 2);  // twice in one batch too
  store_records(kVin, {{kNow + 15, 8}, {kNow + 20, 3}, {kNow + 50, 6}}, 3);
  const std::string p = *codec_.pseudonym(kVin);
  const std::vector<Seen> whole = scan({p});
  ASSERT_EQ(whole.size(), 12u);
  EXPECT_EQ(std::count_if(whole.begin(), whole.end(), [](const Seen& s) { return std::get<1>(s) == kNow + 20; }), 4);
  EXPECT_TRUE(std::is_sorted(whole.begin(), whole.end(), [](const Seen& a, const Seen& b) {
    return std::pair(std::get<1>(a), std::get<2>(a)) < std::pair(std::get<1>(b), std::get<2>(b));
  }));
  for (size_t limit = 1; limit <= 5; ++limit) {
    SCOPED_TRACE("pages of " + std::to_string(limit));
    std::vector<Seen> paged;
    std::optional<RecordPosition> after;
    for (int pages = 0; pages < 20; ++pages) {
      const std::vector<Seen> page = scan({p}, after, limit);
      paged.insert(paged.end(), page.begin(), page.end());
      if (page.size() < limit) break;
      std::vector<Record> records;
      for (const Seen& s : page) {
        Record r;
        r.created_at_ms = std::get<1>(s);
        r.seq = std::get<2>(s);
        records.push_back(r);
      }
      after = position_after(records, after);
    }
    EXPECT_EQ(paged, whole);
  }
  EXPECT_EQ(scan({p, kNow + 20, kNow + 30}, RecordPosition{kNow + 20, 3, 4}),
            (std::vector<Seen>{{p, kNow + 30, 4, 1}})) << "after every record at the key";
}

TEST_F(StoredRecordsTest, ABlockUnderAnotherKeyIsDataLoss) {
  store_batch(kVin, kNow, 3, 1);
  const std::string p = *codec_.pseudonym(kVin);
  auto value = store_->get(encode_store_key(p, kNow, 1));
  ASSERT_TRUE(value.is_ok());
  store::WriteBatch moved;
  moved.put(encode_store_key(p, kNow + 500, 9), *value);  // a copy under a key it does not start at
  ASSERT_TRUE(store_->write(moved).is_ok());
  Status s = scan_records(*store_, codec_, {p}, [](Record&&) { return true; });
  EXPECT_EQ(s.code(), Code::kDataLoss) << s.to_string();
}

}  // namespace
}  // namespace fleetgate::telemetry
