// libFuzzer target: RecordCodec::decode and ::count, which read every stored telemetry value
// (format 1 records, format 2 and 3 blocks). Sealed parts are authenticated, so random bytes stop
// at the envelope; to reach the structural checks behind it the input is a stored value whose
// sealed parts are in plaintext, and the target seals them as the writer would (with the fixed
// test keys) before decoding. The seeds are values the codec wrote, their envelopes opened.
// Properties: decode answers kDataLoss (leaving its output as it was) or records; count agrees
// with decode; decoded records re-encode into format 3 and decode back bit for bit (decode(encode(x)) ==
// x); and any single corrupted byte of such a block is kDataLoss or decodes to the same records,
// never to other ones.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fleetgate/privacy/field_cipher.h"
#include "fleetgate/privacy/test_keys.h"
#include "fleetgate/telemetry/proto/stored_record.pb.h"
#include "fleetgate/telemetry/proto_format.h"
#include "fleetgate/telemetry/record_codec.h"

namespace {

using namespace fleetgate;
using namespace fleetgate::telemetry;

// The region's codec and cipher over fixed test keys: two data keys, so that values sealed under
// the older one are read as after a rotation.
struct Region {
  std::shared_ptr<const privacy::RegionKeys> keys = privacy::fixed_keys("eu", 3, 2);
  RecordCodec codec{keys};
  privacy::FieldCipher cipher{keys};
};

const Region& region() {
  static const Region r;
  return r;
}

std::string seal(std::string_view plain, const privacy::FieldBinding& binding) {
  auto envelope = region().cipher.seal(plain, binding);
  if (!envelope.is_ok()) __builtin_trap();
  return std::move(envelope).value();
}

// `input` with its plaintext sealed parts sealed; `input` itself when it is not a stored value.
std::string sealed_value(std::string_view input) {
  stored::StoredBlock block;
  if (!block.ParseFromArray(input.data(), static_cast<int>(input.size()))) return std::string(input);
  if (block.format() == 2 || block.format() == 3) {
    block.set_sealed(seal(block.sealed(), {block.pseudonym(), kBlockBinding, block.clear()}));
    return block.SerializeAsString();
  }
  stored::StoredRecord record;
  if (block.format() != 1 || !record.ParseFromArray(input.data(), static_cast<int>(input.size()))) {
    return std::string(input);
  }
  record.set_sealed_vin(seal(record.sealed_vin(), {record.pseudonym(), 0}));
  for (stored::StoredDatum& d : *record.mutable_data()) {
    if (d.value_case() == stored::StoredDatum::kSealed) d.set_sealed(seal(d.sealed(), {record.pseudonym(), d.field()}));
  }
  return record.SerializeAsString();
}

// decode() of `value`, checked against its contract: kDataLoss leaves `out` as it was.
Result<std::vector<Record>> decode(std::string_view value) {
  std::vector<Record> out(1);  // a record decode must keep
  out[0].seq = 7;
  const Status s = region().codec.decode(value, out);
  if (out.empty() || out[0].seq != 7 || !out[0].vin.empty()) __builtin_trap();
  if (!s.is_ok()) {
    if (s.code() != Code::kDataLoss || out.size() != 1 || s.message().empty()) __builtin_trap();
    return s;
  }
  if (out.size() < 2) __builtin_trap();
  out.erase(out.begin());
  return out;
}

// Records as comparable bytes (their wire encodings, so a stored NaN equals itself), in a
// canonical order: by time and seq, then by bytes (records with equal keys may swap places).
std::vector<std::string> canonical(const std::vector<Record>& records) {
  std::vector<std::pair<std::pair<int64_t, uint64_t>, std::string>> keyed;
  for (const Record& r : records) keyed.push_back({{r.created_at_ms, r.seq}, encode_protobuf(r)});
  std::sort(keyed.begin(), keyed.end());
  std::vector<std::string> out;
  for (auto& k : keyed) out.push_back(std::move(k.second));
  return out;
}

void check_round_trip(const std::vector<Record>& records, uint64_t corrupt_at) {
  std::vector<StoredForm> blocks;
  if (!region().codec.encode(records, records.front().pseudonym, blocks).is_ok() || blocks.empty()) __builtin_trap();
  std::vector<Record> back;
  for (const StoredForm& b : blocks) {
    auto r = decode(b.value);
    if (!r.is_ok()) __builtin_trap();
    back.insert(back.end(), r->begin(), r->end());
  }
  for (const Record& r : records) {
    if (r.pseudonym != records.front().pseudonym || r.vin != records.front().vin) __builtin_trap();
  }
  if (canonical(back) != canonical(records)) __builtin_trap();

  std::string corrupt = blocks.front().value;
  const size_t at = corrupt_at % corrupt.size();
  corrupt[at] = static_cast<char>(corrupt[at] ^ (1 + (corrupt_at >> 32) % 255));
  auto changed = decode(corrupt);
  if (changed.is_ok() && canonical(*changed) != canonical(*decode(blocks.front().value))) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)decode(input);
  const std::string value = sealed_value(input);
  auto records = decode(value);
  auto n = RecordCodec::count(value, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max());
  if (!n.is_ok() && (n.status().code() != Code::kDataLoss || n.status().message().empty())) __builtin_trap();
  if (!records.is_ok()) return 0;
  if (!n.is_ok() || *n != records->size()) __builtin_trap();
  uint64_t hash = 14695981039346656037ull;  // FNV-1a of the input picks the corrupted byte
  for (char c : input) hash = (hash ^ static_cast<uint8_t>(c)) * 1099511628211ull;
  check_round_trip(*records, hash);
  return 0;
}
