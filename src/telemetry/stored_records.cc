#include "fleetgate/telemetry/stored_records.h"

#include <algorithm>
#include <map>
#include <queue>
#include <string_view>
#include <vector>

#include "fleetgate/privacy/pseudonymiser.h"
#include "fleetgate/telemetry/store_key.h"

namespace fleetgate::telemetry {
namespace {

// Walks the blocks that may hold records of `range`, calling `block(key, value)` until it returns
// false: a block starts at most kMaxBlockSpanMs before its last record, so the scan starts that
// much before from_ms and ends at the first block that starts after to_ms.
template <typename Block>
Status for_each_block(const store::KvReader& reader, const RecordRange& range, Block&& block) {
  const int64_t start_ms = range.from_ms < std::numeric_limits<int64_t>::min() + kMaxBlockSpanMs
                               ? std::numeric_limits<int64_t>::min()
                               : range.from_ms - kMaxBlockSpanMs;
  // Record keys start with the pseudonym prefix; latest states and datasets use other prefixes.
  auto it = range.pseudonym.empty() ? reader.scan(privacy::kPseudonymPrefix)
                                    : reader.scan(store_key_prefix(range.pseudonym), encode_store_key(range.pseudonym, start_ms, 0));
  for (; it->valid(); it->next()) {
    Result<StoreKey> key = decode_store_key(it->key());
    if (!key.is_ok()) return key.status();
    if (key->created_at_ms > range.to_ms) {
      if (!range.pseudonym.empty()) break;
      continue;
    }
    if (key->created_at_ms < start_ms) continue;
    Result<bool> more = block(*key, it->value());
    if (!more.is_ok()) return more.status();
    if (!*more) return Status::ok();
  }
  return it->status();
}

bool time_seq_less(const Record& a, const Record& b) {
  return a.created_at_ms != b.created_at_ms ? a.created_at_ms < b.created_at_ms : a.seq < b.seq;
}

Status corrupt(const StoreKey& key, std::string_view what) {
  return data_loss("stored telemetry is corrupt: the block under the key of (" + key.pseudonym + ", " +
                   std::to_string(key.created_at_ms) + ", " + std::to_string(key.seq) + ") " + std::string(what));
}

// (pseudonym, created_at, seq) of `r` against `key`: negative, zero or positive.
int compare(const Record& r, const StoreKey& key) {
  if (int c = r.pseudonym.compare(key.pseudonym); c != 0) return c;
  if (r.created_at_ms != key.created_at_ms) return r.created_at_ms < key.created_at_ms ? -1 : 1;
  if (r.seq != key.seq) return r.seq < key.seq ? -1 : 1;
  return 0;
}

// The records of blocks read in key order, visited in (pseudonym, created_at, seq) order. Every
// record of a block lies at or after the block's key, so once a block is read no later block can
// hold a record before that key, and every pending record up to it can be visited. Blocks that
// overlap in time stay pending together, each a sorted run, merged by their heads; ties go to the
// earlier block, then to the order within the block.
class MergedRecords {
 public:
  MergedRecords(const RecordRange& range, const std::optional<RecordPosition>& after,
                const std::function<bool(Record&&)>& visit)
      : range_(range), after_(after), visit_(visit) {}

  // Visits what no block from `key` on can precede, then holds the block's `records` (sorted, all
  // at or after `key`) that lie in the range and after the position. False once visit said stop.
  bool add(const StoreKey& key, std::vector<Record>&& records) {
    if (!visit_through(&key)) return false;
    std::erase_if(records, [&](const Record& r) { return !wanted(r); });
    if (records.empty()) return true;
    Run& run = runs_[blocks_];
    run.records = std::move(records);
    heads_.push({blocks_++, &run.records.front()});
    return true;
  }

  // Visits everything still pending.
  bool finish() { return visit_through(nullptr); }

 private:
  struct Run {
    std::vector<Record> records;
    size_t next = 0;
  };
  struct Head {
    uint64_t block;        // the run's block, counted in key order
    const Record* record;  // its next record
  };
  struct Later {
    bool operator()(const Head& a, const Head& b) const {
      const Record& x = *a.record;
      const Record& y = *b.record;
      if (int c = x.pseudonym.compare(y.pseudonym); c != 0) return c > 0;
      if (x.created_at_ms != y.created_at_ms) return x.created_at_ms > y.created_at_ms;
      if (x.seq != y.seq) return x.seq > y.seq;
      return a.block > b.block;
    }
  };

  bool wanted(const Record& r) const {
    if (r.created_at_ms < range_.from_ms || r.created_at_ms > range_.to_ms) return false;
    return !after_ || !(r.created_at_ms < after_->created_at_ms ||
                        (r.created_at_ms == after_->created_at_ms && r.seq < after_->seq));
  }

  // The first after_->ties records at the position itself were visited before.
  bool visited_before(const Record& r) {
    if (!after_ || r.created_at_ms != after_->created_at_ms || r.seq != after_->seq) return false;
    return ties_passed_++ < after_->ties;
  }

  // Visits pending records up to `bound` inclusive (every one when null).
  bool visit_through(const StoreKey* bound) {
    while (!heads_.empty()) {
      const Head head = heads_.top();
      if (bound != nullptr && compare(*head.record, *bound) > 0) break;
      heads_.pop();
      Run& run = runs_.at(head.block);
      Record r = std::move(run.records[run.next++]);
      if (run.next < run.records.size()) {
        heads_.push({head.block, &run.records[run.next]});
      } else {
        runs_.erase(head.block);
      }
      if (visited_before(r)) continue;
      if (!visit_(std::move(r))) return false;
    }
    return true;
  }

  const RecordRange& range_;
  const std::optional<RecordPosition>& after_;
  const std::function<bool(Record&&)>& visit_;
  std::map<uint64_t, Run> runs_;  // pending blocks by their count
  std::priority_queue<Head, std::vector<Head>, Later> heads_;
  uint64_t blocks_ = 0;
  uint32_t ties_passed_ = 0;
};

}  // namespace

Status scan_records(const store::KvReader& reader, const RecordCodec& codec, const RecordRange& range,
                    const std::function<bool(Record&&)>& visit, const std::optional<RecordPosition>& after) {
  RecordRange from_after = range;
  if (after) from_after.from_ms = std::max(range.from_ms, after->created_at_ms);
  MergedRecords merged(range, after, visit);
  bool stopped = false;
  Status s = for_each_block(reader, from_after, [&](const StoreKey& key, std::string_view value) -> Result<bool> {
    std::vector<Record> records;
    Status decoded = codec.decode(value, records);
    // A block of an erased vehicle (sealed under its destroyed key: one in flight during the
    // erasure, or a restored copy) holds no records any more.
    if (decoded.code() == Code::kNotFound) return true;
    if (!decoded.is_ok()) return decoded;
    if (records.front().pseudonym != key.pseudonym || records.front().created_at_ms != key.created_at_ms ||
        records.front().seq != key.seq) {
      return corrupt(key, "starts with another record");
    }
    if (!std::is_sorted(records.begin(), records.end(), time_seq_less)) return corrupt(key, "holds records out of order");
    stopped = !merged.add(key, std::move(records));
    return !stopped;
  });
  if (!s.is_ok() || stopped) return s;
  merged.finish();
  return Status::ok();
}

Result<uint64_t> count_records(const store::KvReader& reader, const RecordRange& range) {
  uint64_t n = 0;
  Status s = for_each_block(reader, range, [&](const StoreKey&, std::string_view value) -> Result<bool> {
    Result<uint64_t> in_block = RecordCodec::count(value, range.from_ms, range.to_ms);
    if (!in_block.is_ok()) return in_block.status();
    n += *in_block;
    return true;
  });
  if (!s.is_ok()) return s;
  return n;
}

RecordPosition position_after(const std::vector<Record>& page, const std::optional<RecordPosition>& after) {
  const Record& last = page.back();
  RecordPosition p{last.created_at_ms, last.seq, 0};
  for (auto it = page.rbegin(); it != page.rend() && it->created_at_ms == p.created_at_ms && it->seq == p.seq; ++it) {
    ++p.ties;
  }
  if (after && after->created_at_ms == p.created_at_ms && after->seq == p.seq) p.ties += after->ties;
  return p;
}

}  // namespace fleetgate::telemetry
