// Reads one telemetry stream through a durable pull consumer, for the materializer that writes
// blocks into the region's query store: fetch() hands out blocks in stream order with their
// Nats-Msg-Id and stream sequence, and the caller acks each only after its own commit. A block not
// acked within ack_wait is delivered again (to this or any reader of the same durable), so a
// reader that dies loses nothing; the caller's commit must therefore be idempotent.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fleetgate/core/result.h"
#include "fleetgate/stream/cluster_connection.h"
#include "fleetgate/stream/stream_layout.h"

namespace fleetgate::stream {

// One block as delivered. Move-only; owns the delivered message.
class Delivery {
 public:
  explicit Delivery(natsMsg* msg);
  ~Delivery();
  Delivery(Delivery&& other) noexcept;
  Delivery& operator=(Delivery&& other) noexcept;
  Delivery(const Delivery&) = delete;
  Delivery& operator=(const Delivery&) = delete;

  std::string_view msg_id() const;  // "<region>/<pseudonym>/<created_at>/<seq>"; empty if none
  uint64_t stream_seq() const { return stream_seq_; }
  uint64_t deliveries() const { return deliveries_; }  // 1, or more for a redelivery
  // Blocks of the stream the consumer had not delivered yet when this one left: its lag, free with
  // every delivery (JetStream puts it in the reply subject).
  uint64_t pending() const { return pending_; }
  std::string_view block() const;
  // Tells the stream this block is done with, and waits for the server to confirm: after an OK
  // it is not delivered to this durable again. kUnavailable when the server does not confirm (the
  // block may then come again).
  Status ack();
  // The same without waiting for the confirmation: one message instead of a round trip per block.
  // An ack the server does not get only means the block comes again after ack_wait, so this is
  // for a caller whose commit is idempotent (the materializer). kUnavailable when it cannot be sent.
  Status ack_async();
  // Gives the block back for delivery at once (to the next fetch of any reader of the durable)
  // rather than after ack_wait: for a caller whose commit failed. Not confirmed either: a lost
  // one only means the block comes again after ack_wait. kUnavailable when it cannot be sent.
  Status nak_async();

 private:
  natsMsg* msg_;
  uint64_t stream_seq_ = 0;
  uint64_t deliveries_ = 0;
  uint64_t pending_ = 0;
};

struct ReaderOptions {
  std::chrono::seconds ack_wait{30};  // a block not acked by then is delivered again
};

// The stream sequence through which durable consumer `durable` of shard `shard` has acked every
// block (its ack floor; 0 when none yet): a block published at or below it has been committed by
// the consumer's reader. kNotFound when the consumer does not exist yet; kUnavailable when the
// cluster does not answer within `timeout` (the connection's request timeout when zero).
Result<uint64_t> acked_through(ClusterConnection& cluster, const StreamLayout& layout, int shard,
                               const std::string& durable,
                               std::chrono::milliseconds timeout = std::chrono::milliseconds::zero());

class BlockReader {
 public:
  // Binds to durable consumer `durable` of shard `shard`'s stream, creating it (explicit acks,
  // from the stream's first block) if missing. REQUIRES: `cluster` outlives the reader.
  static Result<std::unique_ptr<BlockReader>> open(ClusterConnection& cluster, const StreamLayout& layout, int shard,
                                                   const std::string& durable, ReaderOptions options = {});
  ~BlockReader();
  BlockReader(const BlockReader&) = delete;
  BlockReader& operator=(const BlockReader&) = delete;

  // Up to `max` blocks: waits at most `timeout` for the first, and returns as soon as it comes
  // with the others the stream holds then; none (not an error) when nothing new came in time.
  // kUnavailable when the cluster does not answer or ends the request (a leader change).
  Result<std::vector<Delivery>> fetch(int max, std::chrono::milliseconds timeout);

 private:
  BlockReader(natsSubscription* sub, std::string stream) : sub_(sub), stream_(std::move(stream)) {}

  natsSubscription* sub_;
  const std::string stream_;
};

}  // namespace fleetgate::stream
