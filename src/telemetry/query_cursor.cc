#include "fleetgate/telemetry/query_cursor.h"

#include <algorithm>
#include <array>
#include <optional>

#include "fleetgate/core/digest.h"

namespace fleetgate::telemetry {
namespace {

// Layout: version, query tag, created_at, seq, ties; integers big-endian.
constexpr uint8_t kVersion = 1;
constexpr size_t kTagBytes = 8;
constexpr size_t kBytes = 1 + kTagBytes + 8 + 8 + 4;
using Bytes = std::array<uint8_t, kBytes>;

// The first bytes of SHA-256 over the query the cursor continues.
std::array<uint8_t, kTagBytes> query_tag(std::string_view vin, int64_t from_ms, int64_t to_ms) {
  const Sha256Digest d = sha256("fleetgate telemetry query\n" + std::string(vin) + "\n" + std::to_string(from_ms) +
                                "\n" + std::to_string(to_ms));
  std::array<uint8_t, kTagBytes> tag{};
  std::copy_n(d.begin(), kTagBytes, tag.begin());
  return tag;
}

void put(Bytes& b, size_t at, uint64_t v, size_t width) {
  for (size_t i = 0; i < width; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * (width - 1 - i)));
}

uint64_t get(const Bytes& b, size_t at, size_t width) {
  uint64_t v = 0;
  for (size_t i = 0; i < width; ++i) v = (v << 8) | b[at + i];
  return v;
}

std::optional<Bytes> from_hex(std::string_view text) {
  if (text.size() != 2 * kBytes) return std::nullopt;
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  Bytes b{};
  for (size_t i = 0; i < kBytes; ++i) {
    const int hi = digit(text[2 * i]), lo = digit(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    b[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return b;
}

}  // namespace

std::string encode_query_cursor(const RecordPosition& position, std::string_view vin, int64_t from_ms, int64_t to_ms) {
  Bytes b{};
  b[0] = kVersion;
  const auto tag = query_tag(vin, from_ms, to_ms);
  std::copy(tag.begin(), tag.end(), b.begin() + 1);
  put(b, 1 + kTagBytes, static_cast<uint64_t>(position.created_at_ms), 8);
  put(b, 1 + kTagBytes + 8, position.seq, 8);
  put(b, 1 + kTagBytes + 16, position.ties, 4);
  return to_hex(b.data(), b.size());
}

Result<RecordPosition> decode_query_cursor(std::string_view cursor, std::string_view vin, int64_t from_ms,
                                           int64_t to_ms) {
  const std::optional<Bytes> b = from_hex(cursor);
  if (!b || (*b)[0] != kVersion) return invalid_argument("cursor is not a next_cursor this API issued");
  const auto tag = query_tag(vin, from_ms, to_ms);
  if (!std::equal(tag.begin(), tag.end(), b->begin() + 1)) {
    return invalid_argument("cursor was issued for another vehicle or other from/to bounds");
  }
  const RecordPosition p{static_cast<int64_t>(get(*b, 1 + kTagBytes, 8)), get(*b, 1 + kTagBytes + 8, 8),
                         static_cast<uint32_t>(get(*b, 1 + kTagBytes + 16, 4))};
  if (p.ties == 0) return invalid_argument("cursor is not a next_cursor this API issued");
  if (p.created_at_ms < from_ms || p.created_at_ms > to_ms) {
    return invalid_argument("cursor holds a position outside the query's from/to bounds");
  }
  return p;
}

}  // namespace fleetgate::telemetry
