// Fills a region's query store from one shard of its telemetry stream: fetches up to max_batch
// blocks from a durable pull consumer, writes them to the query store in one transaction
// (with the vehicles' latest states folded from them), and acks them only after the COMMIT. A
// materializer that dies between COMMIT and ack gets those blocks again, and the store's
// ON CONFLICT DO NOTHING makes writing them a second time harmless: every block is stored once.
// A block whose key is stored with other records (a car that resent them regrouped, after the
// stream's duplicate window) is merged into the stored one: its new records are added, and a
// record stored with other values keeps the stored ones (counted in `conflicts`).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "fleetgate/core/result.h"
#include "fleetgate/query_store/query_store.h"
#include "fleetgate/stream/block_reader.h"
#include "fleetgate/telemetry/record_codec.h"

namespace fleetgate::query_store {

struct MaterializerOptions {
  int max_batch = 256;  // blocks fetched, committed and acked together
  // How long a fetch waits for a first block; run() notices a stop within about this long.
  std::chrono::milliseconds fetch_wait{500};
  // After an error other than kUnavailable, run() pauses for fetch_wait, doubling with each
  // further failure up to this.
  std::chrono::milliseconds max_backoff{30000};
};

// Counts since the materializer was made; readable from any thread.
struct MaterializerStats {
  std::atomic<uint64_t> blocks{0};       // deliveries committed and acked (redeliveries included)
  std::atomic<uint64_t> new_blocks{0};   // of them, blocks the store did not hold yet
  std::atomic<uint64_t> records{0};      // records in the blocks committed
  // Deliveries without a block Msg-Id of the region, or whose created_at lies outside the years
  // the store partitions (0000-9999): acked, not stored.
  std::atomic<uint64_t> refused{0};
  std::atomic<uint64_t> undecodable{0};  // blocks stored that the codec cannot open: no state folded from them
  std::atomic<uint64_t> lag{0};          // blocks the consumer had not delivered at the last fetch
  std::atomic<uint64_t> merged{0};       // stored blocks a resend added records to
  std::atomic<uint64_t> conflicts{0};    // resent records whose values differ from the stored ones
  std::atomic<uint64_t> failed_rounds{0};  // run()'s rounds that ended in an error
  std::atomic<bool> failing{false};        // the last round of run() ended in an error
};

// The BlockMerge (query_store.h) of the materializer: the stored block with the records of
// `written` (of the same key) it lacks, as blocks sealed by `codec`; empty when `written` adds
// none, or when either does not open (the stored one then reads as data_loss, as before). A record
// of `written` stored with other values keeps the stored ones and is counted in `conflicts`.
Result<std::vector<BlockRow>> merge_resent_block(const telemetry::RecordCodec& codec, const BlockRow& stored,
                                                 std::string_view written, std::atomic<uint64_t>& conflicts);

class Materializer {
 public:
  // REQUIRES: `reader`, `store` and `codec` (the region's) outlive the materializer, and no other
  // thread uses them meanwhile.
  Materializer(stream::BlockReader& reader, QueryStore& store, const telemetry::RecordCodec& codec,
               MaterializerOptions options = {})
      : reader_(reader), store_(store), codec_(codec), options_(options) {}

  // Writes `batch` to the query store in one transaction, without acking anything: the blocks
  // under their Msg-Id's keys, and each vehicle's latest state with the batch's records folded
  // in (the stored state is read under the vehicle's lock, opened, folded and sealed again, so
  // two materializers of one vehicle take turns). Deliveries whose Msg-Id is not a block key of
  // the codec's region are skipped. kUnavailable when the database fails.
  Status commit(const std::vector<stream::Delivery>& batch);

  // One round: fetch, commit, then ack each delivery (without waiting for the server's
  // confirmation). How many came (0: none within fetch_wait). An ack that fails or is lost leaves
  // the block to come again, which is harmless; it is not an error. When the commit fails, the
  // deliveries are given back (nak) for the next round, here or on another node.
  Result<size_t> step();

  // Runs step() until `stop` is set, and never gives up on its shard: after a kUnavailable (the
  // cluster or the database) it tries again in fetch_wait, so the loop rides out restarts; after
  // any other error (a bug: nothing a car sends causes one) in a pause doubling up to
  // max_backoff. The first error of a streak is logged, and the recovery; `on_failing` is called
  // with the new value of stats().failing at each change. Returns within about fetch_wait plus
  // one batch's commit after `stop` is set.
  void run(const std::atomic<bool>& stop, const std::function<void(bool)>& on_failing = {});

  const MaterializerStats& stats() const { return stats_; }

 private:
  // Each vehicle's records in the blocks that open, in (created_at, seq) order.
  std::map<std::string, std::vector<telemetry::Record>> open_blocks(const std::vector<BlockRow>& blocks);
  // The states `stored` with `records` folded in, sealed: those that changed.
  Result<std::vector<StateRow>> fold_states(const std::map<std::string, std::vector<telemetry::Record>>& records,
                                            std::vector<StateRow> stored) const;

  stream::BlockReader& reader_;
  QueryStore& store_;
  const telemetry::RecordCodec& codec_;
  const MaterializerOptions options_;
  MaterializerStats stats_;
};

}  // namespace fleetgate::query_store
