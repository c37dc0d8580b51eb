#include "fleetgate/stream/stream_layout.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace fleetgate::stream {
// The config's rule for region ids (src/core/config.cc); they become stream-name and subject tokens.
Status check_region(std::string_view region) {
  const bool ok = !region.empty() && region.size() <= 16 && std::all_of(region.begin(), region.end(), [](unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
  if (ok) return Status::ok();
  return invalid_argument("region '" + std::string(region) + "' must be 1-16 of [a-z0-9-]");
}

Status validate(const StreamLayout& layout) {
  if (Status s = check_region(layout.region); !s.is_ok()) return invalid_argument("stream layout: " + s.message());
  if (layout.shards < 1 || layout.shards > 256) return invalid_argument("stream layout: shards must be 1..256");
  if (layout.replicas < 1 || layout.replicas > 5) return invalid_argument("stream layout: replicas must be 1..5");
  if (layout.max_age.count() <= 0) return invalid_argument("stream layout: max_age must be positive");
  if (layout.max_bytes <= 0) return invalid_argument("stream layout: max_bytes must be positive");
  if (layout.duplicate_window < std::chrono::minutes(10)) {
    return invalid_argument("stream layout: duplicate_window must be at least 10 minutes");
  }
  if (layout.duplicate_window > layout.max_age) {
    return invalid_argument("stream layout: duplicate_window must not exceed max_age");
  }
  return Status::ok();
}

std::string stream_name(std::string_view region, int shard) {
  std::string name = "TELEMETRY_";
  for (char c : region) name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name + "_" + std::to_string(shard);
}

std::string stream_subject(std::string_view region, int shard) {
  return "telemetry." + std::string(region) + "." + std::to_string(shard);
}

std::string region_tag(std::string_view region) { return "region:" + std::string(region); }

int shard_of(std::string_view pseudonym, int shards) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : pseudonym) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return static_cast<int>(h % static_cast<uint64_t>(shards));
}

std::string msg_id(std::string_view region, const BlockKey& key) {
  return std::string(region) + "/" + key.pseudonym + "/" + std::to_string(key.created_at) + "/" +
         std::to_string(key.seq);
}

Result<BlockKey> parse_msg_id(std::string_view region, std::string_view id) {
  auto bad = [&] { return invalid_argument("not a block Msg-Id of region " + std::string(region) + ": '" + std::string(id) + "'"); };
  if (!id.starts_with(region) || id.size() <= region.size() || id[region.size()] != '/') return bad();
  const std::string_view rest = id.substr(region.size() + 1);
  const size_t seq_at = rest.rfind('/');
  if (seq_at == std::string_view::npos) return bad();
  const size_t time_at = rest.rfind('/', seq_at == 0 ? 0 : seq_at - 1);
  if (time_at == std::string_view::npos || time_at == 0) return bad();
  BlockKey key;
  key.pseudonym = std::string(rest.substr(0, time_at));
  const std::string_view time = rest.substr(time_at + 1, seq_at - time_at - 1);
  const std::string_view seq = rest.substr(seq_at + 1);
  auto [t_end, t_err] = std::from_chars(time.data(), time.data() + time.size(), key.created_at);
  auto [s_end, s_err] = std::from_chars(seq.data(), seq.data() + seq.size(), key.seq);
  if (time.empty() || seq.empty() || t_err != std::errc() || t_end != time.data() + time.size() ||
      s_err != std::errc() || s_end != seq.data() + seq.size() || key.pseudonym.find('/') != std::string::npos) {
    return bad();
  }
  return key;
}

}  // namespace fleetgate::stream
