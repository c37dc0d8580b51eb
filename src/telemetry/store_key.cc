#include "fleetgate/telemetry/store_key.h"

namespace fleetgate::telemetry {
namespace {

constexpr uint64_t kSignBit = uint64_t{1} << 63;
constexpr size_t kSuffixSize = 1 + 8 + 8;

void put_u64(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

uint64_t get_u64(std::string_view b) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(b[i]);
  return v;
}

}  // namespace

std::string store_key_prefix(std::string_view pseudonym) {
  std::string key(pseudonym);
  key.push_back('\0');
  return key;
}

std::string encode_store_key(std::string_view pseudonym, int64_t created_at_ms, uint64_t seq) {
  std::string key = store_key_prefix(pseudonym);
  key.reserve(key.size() + 16);
  put_u64(key, static_cast<uint64_t>(created_at_ms) ^ kSignBit);
  put_u64(key, seq);
  return key;
}

Result<StoreKey> decode_store_key(std::string_view key) {
  if (key.size() < kSuffixSize + 1 || key[key.size() - kSuffixSize] != '\0' ||
      key.substr(0, key.size() - kSuffixSize).find('\0') != std::string_view::npos) {
    return data_loss("not a telemetry store key (" + std::to_string(key.size()) + " bytes)");
  }
  StoreKey k;
  k.pseudonym = std::string(key.substr(0, key.size() - kSuffixSize));
  k.created_at_ms = static_cast<int64_t>(get_u64(key.substr(key.size() - 16)) ^ kSignBit);
  k.seq = get_u64(key.substr(key.size() - 8));
  return k;
}

std::optional<int64_t> store_key_time(std::string_view key) {
  Result<StoreKey> k = decode_store_key(key);
  if (!k.is_ok()) return std::nullopt;
  return k->created_at_ms;
}

}  // namespace fleetgate::telemetry
