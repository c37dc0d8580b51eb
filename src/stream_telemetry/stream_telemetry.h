// A region's telemetry on its own JetStream cluster and PostgreSQL (RegionTelemetry, the
// distributed mode of [regions.telemetry] log = "jetstream"). submit() seals a batch into blocks
// and publishes each to its car's shard (stream/block_publisher.h) under the block's key as
// Nats-Msg-Id; materializers (query_store/materializer.h), on every node that runs them, copy the
// blocks and each car's latest state into the region's query store, where every node reads them.
// Acknowledgement modes (config.h RegionTelemetrySettings::Ack):
//   persisted:  `done` once the blocks are committed in the region's PostgreSQL (the consumer's
//               ack floor passed them: persist_waiter.h); crash-durable like the embedded mode.
//   replicated: `done` on the streams' PubAck: on a majority of the region's servers, in memory.
// Retention: the streams' max_age, and on nodes that materialize, the query store's day partitions
// older than retention_days are dropped at open and hourly.
// A block the stream already held under its key (a resend within the duplicate window) is
// checked against the stored one once that is committed: its records already stored with the
// same values are done, other values fail with kAlreadyExists, and records the stored block lacks
// are published again as blocks of their own. Reads (records, latest state) see what the
// materializers committed, so a record is readable once persisted, in both modes.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "fleetgate/core/config.h"
#include "fleetgate/core/result.h"
#include "fleetgate/privacy/keyring.h"
#include "fleetgate/query_store/materializer.h"
#include "fleetgate/query_store/query_store_pool.h"
#include "fleetgate/stream/block_publisher.h"
#include "fleetgate/stream/block_reader.h"
#include "fleetgate/stream/cluster_connection.h"
#include "fleetgate/stream/stream_layout.h"
#include "fleetgate/stream_telemetry/persist_waiter.h"
#include "fleetgate/telemetry/record_codec.h"
#include "fleetgate/telemetry/region_telemetry.h"

namespace fleetgate::stream_telemetry {

// The durable consumer every node's materializers of a shard share (the work spreads over them).
inline constexpr char kMaterializerDurable[] = "materializer";

struct StreamTelemetryOptions {
  std::vector<std::string> urls;  // the region's nats:// servers
  std::string dsn;                // the region's PostgreSQL, migrated (query_store/region_schema.h)
  config::RegionTelemetrySettings settings;
  std::optional<uint32_t> retention_days;  // the streams' max_age; nullopt: 10 years
  int64_t max_stream_bytes = int64_t{64} << 30;
  size_t max_in_flight = 8192;               // blocks awaiting their PubAck, per node and region
  PersistWaiterOptions persist{};
  query_store::MaterializerOptions materializer{};
  // A block a dead node's materializer had fetched comes to another after ack_wait, and the ack
  // floor (so every persisted ack of its shard) waits for it: short, well under persist.timeout.
  stream::ReaderOptions reader{.ack_wait = std::chrono::seconds(5)};
};

class StreamTelemetry final : public telemetry::RegionTelemetry {
 public:
  // Connects to the region's cluster and query store, creates or updates its streams
  // (stream/stream_setup.h), and starts one materializer thread per shard when settings.materialize.
  // kInvalidArgument for a bad layout; kUnavailable when the cluster or database cannot be
  // reached; kFailedPrecondition for a cluster not tagged for the region or an unmigrated database.
  static Result<std::unique_ptr<StreamTelemetry>> open(telemetry::RecordCodec codec, telemetry::StoreCounters counters,
                                                       StreamTelemetryOptions options);
  // Waits for every PubAck in flight, completes what waits to be persisted with kUnavailable, and
  // stops the materializers.
  ~StreamTelemetry() override;

  const std::string& region() const override { return codec_.region(); }
  Status submit(const telemetry::wire::Batch& records, Done done) override;
  Result<telemetry::LatestState> latest(std::string_view vin) override;
  Result<std::vector<telemetry::Record>> read(std::string_view vin, int64_t from_ms, int64_t to_ms, size_t limit,
                                              const std::optional<telemetry::RecordPosition>& after) const override;
  // The query store's blocks (query_store/block_table_reader.h) over a connection of its own.
  Result<std::unique_ptr<store::KvReader>> records() const override;
  // RegionTelemetry::erase. Blocks still in the stream are sealed under the destroyed key: the
  // materializers store them unreadable, and scans skip them.
  Result<telemetry::Erasure> erase(std::string_view vin) override;
  Result<uint64_t> expire(std::string_view pseudonym, int64_t before_ms) override;
  const telemetry::RecordCodec& codec() const override { return codec_; }

  // Blocks this node's materializers committed (redeliveries included), for tests and metrics.
  uint64_t materialized_blocks() const;

 private:
  struct Submission;
  struct Shard;
  StreamTelemetry(telemetry::RecordCodec codec, telemetry::StoreCounters counters, StreamTelemetryOptions options,
                  stream::StreamLayout layout);
  // Publishes `blocks` (sealed, of one vehicle) as parts of `submission`, counting them in
  // `published`. The error of the first block refused, after which no later block is published.
  Status publish(const std::shared_ptr<Submission>& submission, std::vector<telemetry::StoredForm> blocks,
                 size_t& published);
  // The PubAck of one part: done now (replicated), once persisted, or checked (a duplicate).
  void on_published(const std::shared_ptr<Submission>& submission, int shard, std::shared_ptr<const std::string> block,
                    Result<stream::PublishAck> ack);
  // Drops the query store's days older than retention_days now, then hourly until stop_.
  void enforce_retention();
  // A duplicate's records against the block stored under its key; publishes those it lacks.
  Status check_duplicate(const std::shared_ptr<Submission>& submission, std::string_view block);

  telemetry::RecordCodec codec_;
  const telemetry::StoreCounters counters_;
  const StreamTelemetryOptions options_;
  const stream::StreamLayout layout_;
  std::unique_ptr<stream::ClusterConnection> cluster_;
  mutable query_store::QueryStorePool queries_;
  std::atomic<bool> stop_{false};
  std::vector<std::unique_ptr<Shard>> shards_;  // materializers, when this node runs them
  std::mutex retention_mu_;
  std::condition_variable retention_wake_;  // notified (under retention_mu_) when stop_ is set
  std::thread retention_;                   // runs enforce_retention(), when this node materializes
  std::unique_ptr<PersistWaiter> waiter_;
  std::unique_ptr<stream::BlockPublisher> publisher_;
  // Publishing holds it shared; the destructor takes it to set closing_, after which nothing is
  // published (the waiter's resends of a duplicate's missing records included).
  std::shared_mutex publishing_;
  bool closing_ = false;  // guarded by publishing_
};

}  // namespace fleetgate::stream_telemetry
