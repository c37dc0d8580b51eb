#include "fleetgate/stream_telemetry/stream_telemetry.h"

#include <algorithm>
#include <limits>
#include <mutex>
#include <shared_mutex>
#include <span>


#include "fleetgate/query_store/block_table_reader.h"
#include "fleetgate/stream/block_reader.h"
#include "fleetgate/stream/stream_setup.h"
#include "fleetgate/telemetry/proto/telemetry.pb.h"
#include "fleetgate/telemetry/record_compare.h"
#include "fleetgate/telemetry/store_key.h"
#include "fleetgate/telemetry/stored_records.h"

namespace fleetgate::stream_telemetry {
namespace {

constexpr int kStreamSetupAttempts = 6;  // each waits up to the cluster's request timeout (5 s)

// A BlockTableReader with the connection it reads through.
class LeasedBlockReader final : public store::KvReader {
 public:
  explicit LeasedBlockReader(query_store::QueryStorePool::Lease lease) : lease_(std::move(lease)), reader_(*lease_) {}
  Result<std::string> get(std::string_view key) const override { return reader_.get(key); }
  std::unique_ptr<store::KvIterator> scan(std::string_view prefix, std::string_view start = {}) const override {
    return reader_.scan(prefix, start);
  }

 private:
  query_store::QueryStorePool::Lease lease_;
  query_store::BlockTableReader reader_;
};

}  // namespace

// One submitted batch: done once every block published for it (parts) is done, with the first
// error of any of them.
struct StreamTelemetry::Submission {
  Submission(std::string pseudonym, size_t records, Done done)
      : pseudonym(std::move(pseudonym)), records(records), done(std::move(done)) {}
  const std::string pseudonym;
  const size_t records;
  const Done done;
  std::atomic<size_t> parts{1};  // one held by submit() until it has published every block
  std::mutex mu;
  Status error;  // the first part's error; guarded by mu

  void part_done(const telemetry::StoreCounters& counters, Status s) {
    if (!s.is_ok()) {
      std::lock_guard lock(mu);
      if (error.is_ok()) error = std::move(s);
    }
    if (parts.fetch_sub(1) != 1) return;
    Status outcome;
    {
      std::lock_guard lock(mu);
      outcome = error;
    }
    if (outcome.is_ok()) {
      counters.records->inc(static_cast<double>(records));
      counters.batches_stored->inc();
    } else {
      counters.batches_failed->inc();
    }
    done(std::move(outcome));
  }
};

// A shard's materializer on a thread of its own, with its own reader and database connection.
struct StreamTelemetry::Shard {
  std::unique_ptr<stream::BlockReader> reader;
  std::unique_ptr<query_store::QueryStore> store;
  std::unique_ptr<query_store::Materializer> materializer;
  std::thread thread;
};

StreamTelemetry::StreamTelemetry(telemetry::RecordCodec codec, telemetry::StoreCounters counters,
                                 StreamTelemetryOptions options, stream::StreamLayout layout)
    : codec_(std::move(codec)),
      counters_(counters),
      options_(std::move(options)),
      layout_(std::move(layout)),
      queries_(options_.dsn) {}

Result<std::unique_ptr<StreamTelemetry>> StreamTelemetry::open(telemetry::RecordCodec codec,
                                                               telemetry::StoreCounters counters,
                                                               StreamTelemetryOptions options) {
  stream::StreamLayout layout;
  layout.region = codec.region();
  layout.shards = options.settings.shards;
  layout.replicas = options.settings.replicas;
  layout.max_age = std::chrono::days(options.retention_days.value_or(3650));
  layout.max_bytes = options.max_stream_bytes;
  if (Status s = stream::validate(layout); !s.is_ok()) return s;
  std::unique_ptr<StreamTelemetry> t(new StreamTelemetry(std::move(codec), counters, std::move(options), layout));
  auto cluster = stream::ClusterConnection::connect({.region = layout.region, .urls = t->options_.urls});
  if (!cluster.is_ok()) return cluster.status();
  t->cluster_ = std::move(cluster).value();
  // A cluster that just started (or lost a server) may still be electing its leaders: its API
  // requests time out for a few seconds, so creating the streams is tried a few times.
  Status streams = stream::ensure_telemetry_streams(*t->cluster_, layout);
  for (int attempt = 1; streams.code() == Code::kUnavailable && attempt < kStreamSetupAttempts; ++attempt) {
    streams = stream::ensure_telemetry_streams(*t->cluster_, layout);
  }
  if (!streams.is_ok()) return streams;
  // The query store is reachable and migrated before this node takes a car's frame.
  if (auto probe = t->queries_.borrow(); !probe.is_ok()) return probe.status();
  auto publisher = stream::BlockPublisher::create(*t->cluster_, layout, {.max_in_flight = t->options_.max_in_flight});
  if (!publisher.is_ok()) return publisher.status();
  t->publisher_ = std::move(publisher).value();
  t->waiter_ = std::make_unique<PersistWaiter>(*t->cluster_, layout, kMaterializerDurable, t->options_.persist);
  if (!t->options_.settings.materialize) return t;
  for (int k = 0; k < layout.shards; ++k) {
    auto shard = std::make_unique<Shard>();
    auto reader = stream::BlockReader::open(*t->cluster_, layout, k, kMaterializerDurable, t->options_.reader);
    if (!reader.is_ok()) return reader.status();
    shard->reader = std::move(reader).value();
    auto store = query_store::QueryStore::open(t->options_.dsn);
    if (!store.is_ok()) return store.status();
    shard->store = std::move(store).value();
    shard->materializer = std::make_unique<query_store::Materializer>(*shard->reader, *shard->store, t->codec_,
                                                                      t->options_.materializer);
    Shard* s = shard.get();
    shard->thread = std::thread([s, stop = &t->stop_, failing = t->counters_.materializers_failing] {
      s->materializer->run(*stop, [failing](bool now_failing) {
        if (failing != nullptr) failing->inc(now_failing ? 1 : -1);
      });
    });
    t->shards_.push_back(std::move(shard));
  }
  if (t->options_.retention_days) t->retention_ = std::thread([s = t.get()] { s->enforce_retention(); });
  return t;
}

void StreamTelemetry::enforce_retention() {
  for (;;) {
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch());
    const query_store::Day keep_from = query_store::day_of(now.count()) - std::chrono::days(*options_.retention_days);
    // A failure (the database away) is tried again at the next round: retention is not urgent.
    if (auto lease = queries_.borrow(); lease.is_ok()) (void)(*lease)->drop_before(keep_from);
    std::unique_lock lock(retention_mu_);
    if (retention_wake_.wait_for(lock, std::chrono::hours(1), [&] { return stop_.load(); })) return;
  }
}

StreamTelemetry::~StreamTelemetry() {
  {
    std::unique_lock lock(publishing_);
    closing_ = true;
  }
  publisher_.reset();  // every PubAck handled: nothing more reaches the waiter
  waiter_.reset();     // what still waits fails with kUnavailable
  {
    std::lock_guard lock(retention_mu_);
    stop_ = true;
  }
  retention_wake_.notify_all();
  if (retention_.joinable()) retention_.join();
  for (auto& shard : shards_) {
    if (shard->thread.joinable()) shard->thread.join();
  }
}

uint64_t StreamTelemetry::materialized_blocks() const {
  uint64_t n = 0;
  for (const auto& shard : shards_) n += shard->materializer->stats().blocks;
  return n;
}

Status StreamTelemetry::submit(const telemetry::wire::Batch& records, Done done) {
  if (Status s = telemetry::check_one_vehicle(records); !s.is_ok()) return s;
  Result<std::string> pseudonym = codec_.pseudonym(records.records(0).vin());
  if (!pseudonym.is_ok()) return pseudonym.status();
  std::vector<telemetry::StoredForm> blocks;
  if (Status s = codec_.encode(records, *pseudonym, blocks); !s.is_ok()) return s;
  auto submission =
      std::make_shared<Submission>(std::move(pseudonym).value(), static_cast<size_t>(records.records_size()), std::move(done));
  size_t published = 0;
  if (Status s = publish(submission, std::move(blocks), published); !s.is_ok()) {
    if (published == 0) {
      counters_.batches_failed->inc();
      return s;  // nothing published: `done` never runs
    }
    submission->part_done(counters_, std::move(s));  // the published ones still complete it
    return Status::ok();
  }
  submission->part_done(counters_, Status::ok());  // submit()'s own part
  return Status::ok();
}

Status StreamTelemetry::publish(const std::shared_ptr<Submission>& submission, std::vector<telemetry::StoredForm> blocks,
                                size_t& published) {
  const int shard = stream::shard_of(submission->pseudonym, layout_.shards);
  std::shared_lock lock(publishing_);
  if (closing_) return unavailable("telemetry: the node is stopping; send again");
  for (telemetry::StoredForm& b : blocks) {
    auto key = telemetry::decode_store_key(b.key);
    if (!key.is_ok()) return key.status();
    submission->parts.fetch_add(1);
    // The handler keeps the block: a duplicate's records are checked against the stored ones.
    auto block = std::make_shared<const std::string>(std::move(b.value));
    Status s = publisher_->publish({key->pseudonym, key->created_at_ms, key->seq}, *block,
                                   [this, submission, shard, block](Result<stream::PublishAck> ack) {
                                     on_published(submission, shard, block, std::move(ack));
                                   });
    if (!s.is_ok()) {
      submission->parts.fetch_sub(1);
      return s;
    }
    ++published;
  }
  return Status::ok();
}

void StreamTelemetry::on_published(const std::shared_ptr<Submission>& submission, int shard,
                                   std::shared_ptr<const std::string> block, Result<stream::PublishAck> ack) {
  if (!ack.is_ok()) return submission->part_done(counters_, ack.status());
  using Ack = config::RegionTelemetrySettings::Ack;
  if (!ack->duplicate && options_.settings.ack == Ack::kReplicated) return submission->part_done(counters_, Status::ok());
  if (!ack->duplicate) {
    waiter_->wait(shard, ack->stream_seq, [this, submission](Status s) { submission->part_done(counters_, std::move(s)); });
    return;
  }
  // The stream holds a block under this key already: once that one is committed, compare.
  waiter_->wait(shard, ack->stream_seq, [this, submission, block = std::move(block)](Status s) {
    if (s.is_ok()) s = check_duplicate(submission, *block);
    submission->part_done(counters_, std::move(s));
  });
}

Status StreamTelemetry::check_duplicate(const std::shared_ptr<Submission>& submission, std::string_view block) {
  std::vector<telemetry::Record> sent, stored;
  if (Status s = codec_.decode(block, sent); !s.is_ok() || sent.empty()) return s.is_ok() ? internal_error("telemetry: an empty block") : s;
  auto lease = queries_.borrow();
  if (!lease.is_ok()) return lease.status();
  const telemetry::Record& first = sent.front();
  auto rows = (*lease)->scan(submission->pseudonym, {first.created_at_ms, first.seq}, first.created_at_ms, 1);
  if (!rows.is_ok()) return rows.status();
  if (rows->empty() || rows->front().created_at_ms != first.created_at_ms || rows->front().seq != first.seq) {
    return unavailable("telemetry: the block stored under this key is gone (retention); send again");
  }
  if (Status s = codec_.decode(rows->front().block, stored); !s.is_ok()) return s;
  telemetry::ResendSplit split = telemetry::split_resend(stored, std::move(sent));
  if (!split.first_conflict.is_ok()) return split.first_conflict;
  if (split.missing.empty()) return Status::ok();
  std::vector<telemetry::StoredForm> blocks;
  if (Status s = codec_.encode(split.missing, submission->pseudonym, blocks); !s.is_ok()) return s;
  size_t published = 0;
  return publish(submission, std::move(blocks), published);  // more parts, each checked the same way
}

Result<telemetry::LatestState> StreamTelemetry::latest(std::string_view vin) {
  Result<std::string> pseudonym = codec_.pseudonym(vin);
  if (!pseudonym.is_ok()) return pseudonym.status();
  auto lease = queries_.borrow();
  if (!lease.is_ok()) return lease.status();
  auto rows = (*lease)->latest(std::span<const std::string>(&*pseudonym, 1));
  if (!rows.is_ok()) return rows.status();
  if (rows->empty()) return not_found("no telemetry from " + std::string(vin) + " in region " + region());
  std::vector<telemetry::Record> r;
  if (Status s = codec_.decode(rows->front().state, r); !s.is_ok()) return s;
  if (r.empty()) return data_loss("an empty latest state of " + std::string(vin));
  return telemetry::LatestState::from_record(r.front());
}

Result<std::vector<telemetry::Record>> StreamTelemetry::read(std::string_view vin, int64_t from_ms, int64_t to_ms,
                                                             size_t limit,
                                                             const std::optional<telemetry::RecordPosition>& after) const {
  Result<std::string> pseudonym = codec_.pseudonym(vin);
  if (!pseudonym.is_ok()) return pseudonym.status();
  std::vector<telemetry::Record> out;
  if (limit == 0) return out;
  auto lease = queries_.borrow();
  if (!lease.is_ok()) return lease.status();
  const query_store::BlockTableReader reader(**lease);
  const telemetry::RecordRange range{std::move(pseudonym).value(), from_ms, to_ms};
  Status s = telemetry::scan_records(reader, codec_, range, [&](telemetry::Record&& r) {
    out.push_back(std::move(r));
    return out.size() < limit;
  }, after);
  if (!s.is_ok()) return s;
  return out;
}


Result<std::unique_ptr<store::KvReader>> StreamTelemetry::records() const {
  auto lease = queries_.borrow();
  if (!lease.is_ok()) return lease.status();
  return std::unique_ptr<store::KvReader>(std::make_unique<LeasedBlockReader>(std::move(lease).value()));
}

Result<telemetry::Erasure> StreamTelemetry::erase(std::string_view vin) {
  if (!codec_.vehicle_keys()) {
    return failed_precondition("region '" + codec_.region() + "' seals telemetry under its own key only: no vehicle key store");
  }
  auto pseudonym = codec_.pseudonym(vin);
  if (!pseudonym.is_ok()) return pseudonym.status();
  telemetry::Erasure out{*pseudonym, {}, 0};
  auto destroyed = codec_.vehicle_keys()->destroy(*pseudonym);
  if (!destroyed.is_ok()) return destroyed.status();
  out.key_generation = *destroyed;
  auto store = queries_.borrow();
  if (!store.is_ok()) return store.status();
  auto blocks = (*store)->erase(*pseudonym);
  if (!blocks.is_ok()) return blocks.status();
  out.blocks = *blocks;
  return out;
}

Result<uint64_t> StreamTelemetry::expire(std::string_view pseudonym, int64_t before_ms) {
  if (before_ms <= std::numeric_limits<int64_t>::min() + telemetry::kMaxBlockSpanMs) return uint64_t{0};
  auto store = queries_.borrow();
  if (!store.is_ok()) return store.status();
  return (*store)->expire(pseudonym, before_ms - telemetry::kMaxBlockSpanMs);
}

}  // namespace fleetgate::stream_telemetry
