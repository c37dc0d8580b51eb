#include "fleetgate/telemetry/stored_records.h"

#include <gtest/gtest.h>

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
    std::vector<StoredForm> blocks;
    ASSERT_TRUE(codec_.encode(records, *codec_.pseudonym(vin), blocks).is_ok());
    store::WriteBatch batch;
    for (const StoredForm& b : blocks) batch.put(b.key, b.value);
    ASSERT_TRUE(store_->write(batch).is_ok());
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
