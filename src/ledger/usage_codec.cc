#include "fleetgate/ledger/usage_codec.h"

#include <boost/endian/conversion.hpp>
#include <cstring>
#include <limits>

namespace fleetgate::ledger {
namespace {

constexpr char kVersion = 1;

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_text(std::string& out, std::string_view s) {
  put_varint(out, s.size());
  out.append(s);
}

class Reader {
 public:
  explicit Reader(std::string_view b) : b_(b) {}

  bool fixed64(int64_t& v) {
    if (b_.size() < 8) return false;
    uint64_t le;
    std::memcpy(&le, b_.data(), 8);
    v = static_cast<int64_t>(boost::endian::little_to_native(le));
    b_.remove_prefix(8);
    return true;
  }
  bool varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64 && !b_.empty(); shift += 7) {
      const auto byte = static_cast<uint8_t>(b_.front());
      b_.remove_prefix(1);
      v |= uint64_t{byte & 0x7fu} << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return false;
  }
  template <typename Int>
  bool count(Int& v) {
    uint64_t u;
    if (!varint(u) || u > static_cast<uint64_t>(std::numeric_limits<Int>::max())) return false;
    v = static_cast<Int>(u);
    return true;
  }
  bool text(std::string& s) {
    uint64_t n;
    if (!varint(n) || n > b_.size()) return false;
    s.assign(b_.data(), n);
    b_.remove_prefix(n);
    return true;
  }
  bool byte(char& c) {
    if (b_.empty()) return false;
    c = b_.front();
    b_.remove_prefix(1);
    return true;
  }
  bool at_end() const { return b_.empty(); }

 private:
  std::string_view b_;
};

}  // namespace

std::string encode_usage(const UsageRecord& r) {
  std::string out;
  out.reserve(64 + r.request_id.size() + r.vehicle_pseudonym.size() + r.model.size());
  out.push_back(kVersion);
  const uint64_t le = boost::endian::native_to_little(static_cast<uint64_t>(r.time_ms));
  out.append(reinterpret_cast<const char*>(&le), 8);
  for (const std::string* s : {&r.request_id, &r.vehicle_pseudonym, &r.region, &r.market, &r.feature,
                               &r.provider, &r.model}) {
    put_text(out, *s);
  }
  for (int64_t v : {r.prompt_tokens, r.completion_tokens, r.cached_tokens, r.reasoning_tokens}) {
    put_varint(out, static_cast<uint64_t>(v));
  }
  put_varint(out, static_cast<uint64_t>(r.tool_calls));
  put_varint(out, static_cast<uint64_t>(r.refused_tool_calls));
  put_text(out, r.outcome);
  put_varint(out, static_cast<uint64_t>(r.latency_us));
  return out;
}

Status decode_usage(std::string_view bytes, UsageRecord& out) {
  Reader in(bytes);
  char version = 0;
  const bool ok = in.byte(version) && version == kVersion && in.fixed64(out.time_ms) &&
                  in.text(out.request_id) && in.text(out.vehicle_pseudonym) && in.text(out.region) &&
                  in.text(out.market) && in.text(out.feature) && in.text(out.provider) && in.text(out.model) &&
                  in.count(out.prompt_tokens) && in.count(out.completion_tokens) &&
                  in.count(out.cached_tokens) && in.count(out.reasoning_tokens) && in.count(out.tool_calls) &&
                  in.count(out.refused_tool_calls) && in.text(out.outcome) && in.count(out.latency_us) &&
                  in.at_end();
  if (!ok) return data_loss("undecodable usage record (" + std::to_string(bytes.size()) + " bytes)");
  return Status::ok();
}

void append_key(std::string& out, const UsageRecord& r) {
  for (const std::string* s : {&r.feature, &r.market, &r.region, &r.provider, &r.model}) put_text(out, *s);
}

Status decode_key(std::string_view bytes, UsageKey& out) {
  Reader in(bytes);
  for (std::string* f : key_fields(out)) {
    if (!in.text(*f)) return data_loss("undecodable usage aggregate key");
  }
  if (!in.at_end()) return data_loss("undecodable usage aggregate key");
  return Status::ok();
}

std::string encode_totals(const UsageTotals& t) {
  std::string out;
  out.push_back(kVersion);
  for (const int64_t* v : totals_fields(t)) put_varint(out, static_cast<uint64_t>(*v));
  return out;
}

Status decode_totals(std::string_view bytes, UsageTotals& out) {
  Reader in(bytes);
  char version = 0;
  bool ok = in.byte(version) && version == kVersion;
  for (int64_t* v : totals_fields(out)) ok = ok && in.count(*v);
  if (!ok || !in.at_end()) return data_loss("undecodable usage aggregate (" + std::to_string(bytes.size()) + " bytes)");
  return Status::ok();
}

}  // namespace fleetgate::ledger
