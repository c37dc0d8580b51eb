#include "fleetgate/telemetry/stored_records.h"

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

}  // namespace

Status scan_records(const store::KvReader& reader, const RecordCodec& codec, const RecordRange& range,
                    const std::function<bool(Record&&)>& visit) {
  std::vector<Record> records;
  return for_each_block(reader, range, [&](const StoreKey& key, std::string_view value) -> Result<bool> {
    records.clear();
    if (Status s = codec.decode(value, records); !s.is_ok()) return s;
    const Record& first = records.front();
    if (first.pseudonym != key.pseudonym || first.created_at_ms != key.created_at_ms || first.seq != key.seq) {
      return data_loss("stored telemetry is corrupt: the block under the key of (" + key.pseudonym + ", " +
                       std::to_string(key.created_at_ms) + ", " + std::to_string(key.seq) + ") starts with another record");
    }
    for (Record& r : records) {
      if (r.created_at_ms < range.from_ms || r.created_at_ms > range.to_ms) continue;
      if (!visit(std::move(r))) return false;
    }
    return true;
  });
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

}  // namespace fleetgate::telemetry
