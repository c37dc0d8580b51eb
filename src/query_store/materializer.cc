#include "fleetgate/query_store/materializer.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <thread>

#include <spdlog/spdlog.h>

#include "fleetgate/query_store/day_partitions.h"
#include "fleetgate/stream/stream_layout.h"
#include "fleetgate/telemetry/latest_state.h"
#include "fleetgate/telemetry/record_compare.h"
#include "fleetgate/telemetry/store_key.h"

namespace fleetgate::query_store {
namespace {

bool time_seq_less(const telemetry::Record& a, const telemetry::Record& b) {
  return std::pair(a.created_at_ms, a.seq) < std::pair(b.created_at_ms, b.seq);
}

}  // namespace

std::map<std::string, std::vector<telemetry::Record>> Materializer::open_blocks(const std::vector<BlockRow>& blocks) {
  std::map<std::string, std::vector<telemetry::Record>> records;
  for (const BlockRow& b : blocks) {
    std::vector<telemetry::Record> opened;
    if (!codec_.decode(b.block, opened).is_ok() || opened.empty()) {
      stats_.undecodable.fetch_add(1, std::memory_order_relaxed);  // scan_records reports it as kDataLoss
      continue;
    }
    stats_.records.fetch_add(opened.size(), std::memory_order_relaxed);
    auto& mine = records[b.pseudonym];
    std::move(opened.begin(), opened.end(), std::back_inserter(mine));
  }
  for (auto& [_, recs] : records) std::sort(recs.begin(), recs.end(), time_seq_less);
  return records;
}

Result<std::vector<StateRow>> Materializer::fold_states(const std::map<std::string, std::vector<telemetry::Record>>& records,
                                                        std::vector<StateRow> stored) const {
  std::map<std::string, telemetry::LatestState> states;
  for (const StateRow& row : stored) {
    std::vector<telemetry::Record> opened;
    // A state that no longer opens (a rotated-out key) is rebuilt from the new records.
    if (codec_.decode(row.state, opened).is_ok() && !opened.empty()) {
      states[row.pseudonym] = telemetry::LatestState::from_record(opened.front());
    }
  }
  std::vector<StateRow> out;
  for (const auto& [pseudonym, recs] : records) {
    telemetry::LatestState& state = states[pseudonym];
    bool changed = false;
    for (const telemetry::Record& r : recs) changed = telemetry::fold(state, r) || changed;
    if (!changed) continue;
    auto sealed = codec_.encode(state.to_record(), pseudonym);
    if (!sealed.is_ok()) return sealed.status();
    out.push_back({pseudonym, state.updated_at_ms, state.seq, std::move(sealed->value)});
  }
  return out;
}

Result<std::vector<BlockRow>> merge_resent_block(const telemetry::RecordCodec& codec, const BlockRow& stored,
                                                 std::string_view written, std::atomic<uint64_t>& conflicts) {
  std::vector<telemetry::Record> have, sent;
  if (!codec.decode(stored.block, have).is_ok() || !codec.decode(written, sent).is_ok()) return std::vector<BlockRow>{};
  telemetry::ResendSplit split = telemetry::split_resend(have, std::move(sent));
  conflicts.fetch_add(split.conflicts, std::memory_order_relaxed);  // the stored records stay
  if (split.missing.empty()) return std::vector<BlockRow>{};        // a resend sealed again
  std::move(split.missing.begin(), split.missing.end(), std::back_inserter(have));
  std::sort(have.begin(), have.end(), time_seq_less);
  std::vector<telemetry::StoredForm> forms;
  if (Status s = codec.encode(have, stored.pseudonym, forms); !s.is_ok()) return s;
  std::vector<BlockRow> out;
  for (telemetry::StoredForm& f : forms) {
    auto key = telemetry::decode_store_key(f.key);
    if (!key.is_ok()) return key.status();
    out.push_back({std::move(key->pseudonym), key->created_at_ms, key->seq, std::move(f.value)});
  }
  return out;
}

Status Materializer::commit(const std::vector<stream::Delivery>& batch) {
  std::vector<BlockRow> blocks;
  blocks.reserve(batch.size());
  for (const stream::Delivery& d : batch) {
    auto key = stream::parse_msg_id(codec_.region(), d.msg_id());
    // A block no partition can hold would fail its whole batch at every delivery, forever.
    if (!key.is_ok() || !partition_name(day_of(key->created_at)).is_ok()) {
      stats_.refused.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    blocks.push_back({std::move(key->pseudonym), key->created_at, key->seq, std::string(d.block())});
  }
  // Opened before the transaction; folded inside it, under the vehicles' locks.
  const auto records = open_blocks(blocks);
  auto written = store_.write(
      blocks, [&](std::vector<StateRow> stored) { return fold_states(records, std::move(stored)); },
      [this](const BlockRow& stored, std::string_view block) {
        return merge_resent_block(codec_, stored, block, stats_.conflicts);
      });
  if (!written.is_ok()) return written.status();
  stats_.new_blocks.fetch_add(written->blocks_added, std::memory_order_relaxed);
  stats_.merged.fetch_add(written->blocks_merged, std::memory_order_relaxed);
  return Status::ok();
}

Result<size_t> Materializer::step() {
  auto batch = reader_.fetch(options_.max_batch, options_.fetch_wait);
  if (!batch.is_ok()) return batch.status();
  if (batch->empty()) {
    stats_.lag.store(0, std::memory_order_relaxed);
    return size_t{0};
  }
  stats_.lag.store(batch->back().pending(), std::memory_order_relaxed);
  if (Status s = commit(*batch); !s.is_ok()) {
    // Back at once, not after the ack wait: the next round (here or on another node) tries again.
    for (stream::Delivery& d : *batch) (void)d.nak_async();
    return s;
  }
  // Not confirmed: an ack that is lost only brings the block again, which the store absorbs.
  for (stream::Delivery& d : *batch) (void)d.ack_async();
  stats_.blocks.fetch_add(batch->size(), std::memory_order_relaxed);
  return batch->size();
}

void Materializer::run(const std::atomic<bool>& stop, const std::function<void(bool)>& on_failing) {
  std::chrono::milliseconds backoff = options_.fetch_wait;
  Status last_error;
  while (!stop.load()) {
    auto done = step();
    if (done.is_ok()) {
      backoff = options_.fetch_wait;
      // Only a round that stored something shows the failure is over: the blocks of a failed
      // round come again only after the consumer's ack wait.
      if (*done > 0 && stats_.failing.exchange(false)) {
        spdlog::info("region {} materializer: storing again after: {}", codec_.region(), last_error.to_string());
        if (on_failing) on_failing(false);
      }
      continue;
    }
    stats_.failed_rounds.fetch_add(1, std::memory_order_relaxed);
    if (!stats_.failing.exchange(true)) {
      spdlog::error("region {} materializer: cannot store, trying again: {}", codec_.region(), done.status().to_string());
      if (on_failing) on_failing(true);
    }
    last_error = done.status();
    const bool unavailable = done.status().code() == Code::kUnavailable;
    const auto pause = unavailable ? options_.fetch_wait : backoff;
    if (!unavailable) backoff = std::min(backoff * 2, options_.max_backoff);
    // In slices, so that a stop is noticed within fetch_wait.
    for (auto slept = std::chrono::milliseconds(0); slept < pause && !stop.load(); slept += options_.fetch_wait) {
      std::this_thread::sleep_for(std::min(options_.fetch_wait, pause - slept));
    }
  }
}

}  // namespace fleetgate::query_store
