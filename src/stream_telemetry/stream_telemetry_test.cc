// StreamTelemetry against a real 3-node JetStream cluster and a real PostgreSQL on loopback: what
// a car's acknowledgement means in each mode, resends, and two nodes sharing one region.
#include "fleetgate/stream_telemetry/stream_telemetry.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "fleetgate/http/metrics.h"
#include "fleetgate/privacy/test_keys.h"
#include "fleetgate/query_store/region_schema.h"
#include "fleetgate/telemetry/proto/telemetry.pb.h"
#include "fleetgate/telemetry/proto_format.h"
#include "fleetgate/telemetry/test_records.h"
#include "support/nats_region.h"
#include "support/pg_server.h"

namespace fleetgate::stream_telemetry {
namespace {

using Ack = config::RegionTelemetrySettings::Ack;

// One cluster and one database for the whole suite; each test uses VINs of its own.
class Region {
 public:
  Region() : nats_("cn") {
    if (pg_.dsn().empty() || nats_.urls().empty()) return;
    auto migrated = query_store::migrate_region_pg(pg_.dsn());
    EXPECT_TRUE(migrated.is_ok()) << migrated.status().to_string();
    ok_ = migrated.is_ok();
  }
  bool ok() const { return ok_; }
  const std::string& dsn() const { return pg_.dsn(); }
  const std::string& urls() const { return nats_.urls(); }

 private:
  testing::PgServer pg_;
  testing::NatsRegion nats_;
  bool ok_ = false;
};

Region* region_env = nullptr;

class StreamTelemetryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { region_env = new Region(); }
  static void TearDownTestSuite() {
    delete region_env;
    region_env = nullptr;
  }
  void SetUp() override {
    if (!region_env->ok()) GTEST_SKIP() << "no cluster or database (reported above)";
    auto family = metrics_.counter("t_total", "test", {"kind"});
    ASSERT_TRUE(family.is_ok());
    counters_ = {&(*family)->with({"records"}), &(*family)->with({"stored"}), &(*family)->with({"failed"}),
                 &(*family)->with({"writes"})};
  }

  std::unique_ptr<StreamTelemetry> open(Ack ack, bool materialize = true,
                                        std::chrono::milliseconds persist_timeout = std::chrono::seconds(20),
                                        std::optional<uint32_t> retention_days = std::nullopt) {
    StreamTelemetryOptions options;
    auto urls = stream::parse_urls(region_env->urls());
    EXPECT_TRUE(urls.is_ok());
    options.urls = *urls;
    options.dsn = region_env->dsn();
    options.settings.log = config::RegionTelemetrySettings::Log::kJetStream;
    options.settings.ack = ack;
    options.settings.shards = 2;
    options.settings.replicas = 3;
    options.settings.materialize = materialize;
    options.retention_days = retention_days;
    options.max_stream_bytes = int64_t{64} << 20;
    options.persist.timeout = persist_timeout;
    options.materializer.fetch_wait = std::chrono::milliseconds(100);
    auto opened = StreamTelemetry::open(telemetry::RecordCodec(privacy::fixed_keys("cn", 7)), counters_, std::move(options));
    EXPECT_TRUE(opened.is_ok()) << opened.status().to_string();
    return opened.is_ok() ? std::move(opened).value() : nullptr;
  }

  // `n` records of `vin` one second apart from `first_seq`, speed = seq (so values tell them apart).
  static telemetry::wire::Batch batch(const std::string& vin, uint64_t first_seq, size_t n, double speed_offset = 0) {
    telemetry::wire::Batch b;
    for (size_t i = 0; i < n; ++i) {
      telemetry::Record r = telemetry::sample_record();
      r.vin = vin;
      r.seq = first_seq + i;
      r.created_at_ms = telemetry::kNow - 600'000 + static_cast<int64_t>(r.seq) * 1000;
      r.data.at(0).value = static_cast<double>(r.seq) + speed_offset;
      telemetry::to_payload(r, *b.add_records());
    }
    return b;
  }

  static std::vector<uint64_t> seqs(const std::vector<telemetry::Record>& records) {
    std::vector<uint64_t> out;
    for (const auto& r : records) out.push_back(r.seq);
    return out;
  }

  // The records of `vin` once `n` are readable (replicated acks come before the query store has
  // them); gives up after about 10 s and returns what is there.
  static std::vector<telemetry::Record> read_when(StreamTelemetry& t, const std::string& vin, size_t n) {
    Result<std::vector<telemetry::Record>> r = std::vector<telemetry::Record>{};
    for (int i = 0; i < 500; ++i) {
      r = t.read(vin, INT64_MIN, INT64_MAX, 10'000, std::nullopt);
      EXPECT_TRUE(r.is_ok()) << r.status().to_string();
      if (!r.is_ok() || r->size() >= n) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return r.is_ok() ? std::move(r).value() : std::vector<telemetry::Record>{};
  }

  static std::vector<uint64_t> range(uint64_t first, uint64_t n) {
    std::vector<uint64_t> out;
    for (uint64_t i = 0; i < n; ++i) out.push_back(first + i);
    return out;
  }

  http::MetricsRegistry metrics_;
  telemetry::StoreCounters counters_;
};

TEST_F(StreamTelemetryTest, PersistedAckMeansTheQueryStoreHoldsTheRecordsAndTheLatestState) {
  auto t = open(Ack::kPersisted);
  ASSERT_TRUE(t);
  const std::string vin = "WVWZZZ1JZXW100001";
  const Status appended = t->append(batch(vin, 1, 30));
  ASSERT_TRUE(appended.is_ok()) << appended.to_string();
  // No waiting: an acknowledged frame is committed in PostgreSQL.
  auto records = t->read(vin, INT64_MIN, INT64_MAX, 1000, std::nullopt);
  ASSERT_TRUE(records.is_ok()) << records.status().to_string();
  EXPECT_EQ(seqs(*records), range(1, 30));
  EXPECT_EQ(records->back().data.at(0), (telemetry::Datum{telemetry::Field::kSpeed, 30.0}));
  auto latest = t->latest(vin);
  ASSERT_TRUE(latest.is_ok()) << latest.status().to_string();
  EXPECT_EQ(latest->seq, 30u);
  EXPECT_EQ(t->latest("WVWZZZ1JZXW199999").status().code(), Code::kNotFound);
  EXPECT_EQ(counters_.records->value(), 30);
  EXPECT_EQ(counters_.batches_stored->value(), 1);
}

TEST_F(StreamTelemetryTest, ReplicatedAckComesFirstAndTheRecordsFollow) {
  auto t = open(Ack::kReplicated);
  ASSERT_TRUE(t);
  const std::string vin = "WVWZZZ1JZXW100002";
  for (uint64_t first = 1; first <= 100; first += 20) ASSERT_TRUE(t->append(batch(vin, first, 20)).is_ok());
  EXPECT_EQ(seqs(read_when(*t, vin, 100)), range(1, 100));
}

TEST_F(StreamTelemetryTest, AResendIsStoredOnceAndItsNewRecordsAreKept) {
  auto t = open(Ack::kPersisted);
  ASSERT_TRUE(t);
  const std::string vin = "WVWZZZ1JZXW100003";
  ASSERT_TRUE(t->append(batch(vin, 1, 10)).is_ok());
  ASSERT_TRUE(t->append(batch(vin, 1, 10)).is_ok()) << "the same frame again";
  // A car that lost the ack resends the records with later ones in one frame: same block key.
  ASSERT_TRUE(t->append(batch(vin, 1, 25)).is_ok());
  auto records = t->read(vin, INT64_MIN, INT64_MAX, 1000, std::nullopt);
  ASSERT_TRUE(records.is_ok()) << records.status().to_string();
  EXPECT_EQ(seqs(*records), range(1, 25));
}

TEST_F(StreamTelemetryTest, AResendWithOtherValuesIsRefusedAndTheStoredRecordStays) {
  auto t = open(Ack::kReplicated);
  ASSERT_TRUE(t);
  const std::string vin = "WVWZZZ1JZXW100004";
  ASSERT_TRUE(t->append(batch(vin, 1, 5)).is_ok());
  Status again = t->append(batch(vin, 1, 5, 0.5));
  EXPECT_EQ(again.code(), Code::kAlreadyExists) << again.to_string();
  const auto records = read_when(*t, vin, 5);
  ASSERT_EQ(records.size(), 5u);
  EXPECT_EQ(records.front().data.at(0), (telemetry::Datum{telemetry::Field::kSpeed, 1.0}));
}

TEST_F(StreamTelemetryTest, TwoNodesOfOneRegionReadWhatEitherStored) {
  auto a = open(Ack::kPersisted);
  auto b = open(Ack::kPersisted);
  ASSERT_TRUE(a && b);
  const std::string vin = "WVWZZZ1JZXW100005";
  for (uint64_t first = 1; first <= 200; first += 20) {
    StreamTelemetry& node = first % 40 == 1 ? *a : *b;  // the car reconnects to the other node
    ASSERT_TRUE(node.append(batch(vin, first, 20)).is_ok());
  }
  for (StreamTelemetry* node : {a.get(), b.get()}) {
    auto records = node->read(vin, INT64_MIN, INT64_MAX, 1000, std::nullopt);
    ASSERT_TRUE(records.is_ok()) << records.status().to_string();
    EXPECT_EQ(seqs(*records), range(1, 200));
    EXPECT_EQ(node->latest(vin)->seq, 200u);
  }
}

TEST_F(StreamTelemetryTest, WithoutAMaterializerPersistedAcksFailAndTheResendIsStoredOnce) {
  const std::string vin = "WVWZZZ1JZXW100006";
  {
    auto unmaterialized = open(Ack::kPersisted, false, std::chrono::milliseconds(300));
    ASSERT_TRUE(unmaterialized);
    // No node runs a materializer now (earlier tests' nodes are gone), so nothing commits the
    // block and the acknowledgement cannot come.
    Status s = unmaterialized->append(batch(vin, 1, 10));
    EXPECT_EQ(s.code(), Code::kUnavailable) << s.to_string();
  }
  auto t = open(Ack::kPersisted);
  ASSERT_TRUE(t);
  ASSERT_TRUE(t->append(batch(vin, 1, 10)).is_ok()) << "the car's resend";
  auto records = t->read(vin, INT64_MIN, INT64_MAX, 1000, std::nullopt);
  ASSERT_TRUE(records.is_ok()) << records.status().to_string();
  EXPECT_EQ(seqs(*records), range(1, 10));
}

// The records here are from 2023: with a retention of 1 day, a materializing node drops their days.
TEST_F(StreamTelemetryTest, ANodeThatMaterializesDropsTheDaysPastRetention) {
  const std::string vin = "WVWZZZ1JZXW100007";
  {
    auto keep = open(Ack::kPersisted);
    ASSERT_TRUE(keep);
    ASSERT_TRUE(keep->append(batch(vin, 1, 10)).is_ok());
  }
  auto t = open(Ack::kPersisted, true, std::chrono::seconds(20), 1);
  ASSERT_TRUE(t);
  Result<std::vector<telemetry::Record>> left = std::vector<telemetry::Record>(1);
  for (int i = 0; i < 500 && left.is_ok() && !left->empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    left = t->read(vin, INT64_MIN, INT64_MAX, 10, std::nullopt);
  }
  ASSERT_TRUE(left.is_ok()) << left.status().to_string();
  EXPECT_TRUE(left->empty()) << left->size() << " records older than the retention are still there";
}

}  // namespace
}  // namespace fleetgate::stream_telemetry
