// Publishes sealed telemetry blocks into a region's streams, asynchronously: publish() sends the
// block to its car's shard with the block's Nats-Msg-Id, and the callback completes once, with the
// stream's PubAck (the block is on a majority of the stream's replicas, in memory: nats-server
// 2.9 acks before fsync) or with the error. Publishing the same key again, while or after the
// first is in flight, is acknowledged as a duplicate and not stored twice (within the streams'
// duplicate window), so a caller retries a failed block under its key.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_map>

#include "fleetgate/core/result.h"
#include "fleetgate/stream/cluster_connection.h"
#include "fleetgate/stream/stream_layout.h"

namespace fleetgate::stream {

struct PublishOptions {
  size_t max_in_flight = 1024;  // blocks awaiting their PubAck; publish() refuses beyond it
  std::chrono::milliseconds ack_timeout{5000};  // no PubAck by then: the callback gets kUnavailable
};

struct PublishAck {
  uint64_t stream_seq = 0;  // where the block is in its stream (the first copy's, for a duplicate)
  bool duplicate = false;   // the stream already held this Msg-Id
};

// Runs on nats.c's delivery thread, one at a time: it must not block, nor destroy the publisher.
using AckCallback = std::function<void(Result<PublishAck>)>;

class BlockPublisher {
 public:
  // REQUIRES: `cluster` outlives the publisher; the streams exist (ensure_telemetry_streams).
  static Result<std::unique_ptr<BlockPublisher>> create(ClusterConnection& cluster, StreamLayout layout,
                                                        PublishOptions options = {});
  // Waits until every published block's callback has run (at most ack_timeout after the last
  // publish: each has a timeout).
  ~BlockPublisher();
  BlockPublisher(const BlockPublisher&) = delete;
  BlockPublisher& operator=(const BlockPublisher&) = delete;

  // Sends `block` (copied) under `key`. OK: `done` will run exactly once. An error (done never
  // runs): kResourceExhausted when max_in_flight blocks await their PubAck, kInvalidArgument for
  // a block over the servers' payload limit, kUnavailable when nats.c cannot take it.
  // Thread-safe.
  Status publish(const BlockKey& key, std::string_view block, AckCallback done);

  // Blocks published whose callback has not returned yet.
  size_t in_flight() const;

 private:
  BlockPublisher(StreamLayout layout, PublishOptions options) : layout_(std::move(layout)), options_(options) {}
  static void on_pub_ack(jsCtx* js, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure);

  const StreamLayout layout_;
  const PublishOptions options_;
  jsCtx* js_ = nullptr;  // this publisher's context: its PubAck handler is on_pub_ack

  mutable std::mutex mu_;
  std::condition_variable drained_;
  // Keyed by the message nats.c hands back to on_pub_ack; an entry lives until its callback returned.
  std::unordered_map<natsMsg*, AckCallback> in_flight_;
};

}  // namespace fleetgate::stream
