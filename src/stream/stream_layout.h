// How a region's telemetry log is laid out on its JetStream cluster: `shards` streams
// TELEMETRY_<REGION>_<k> on subjects telemetry.<region>.<k>, a car's blocks all in the shard its
// pseudonym hashes to, and each sealed block's Nats-Msg-Id "<region>/<pseudonym>/<created_at>/<seq>"
// (the block's key), by which the streams drop resends within the duplicate window.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "fleetgate/core/result.h"

namespace fleetgate::stream {

struct StreamLayout {
  std::string region;  // a region id ([a-z0-9-], 1-16): the streams are placed on tag region:<id>
  int shards = 4;      // streams per region: a stream leader's election stalls 1/shards of the cars
  int replicas = 3;    // R3 in production; tests may use fewer
  std::chrono::seconds max_age{std::chrono::hours(24 * 30)};  // from [[regions]] retention_days
  int64_t max_bytes = int64_t{64} << 30;  // per stream; a full stream refuses publishes, never drops
  std::chrono::seconds duplicate_window{std::chrono::minutes(10)};  // resends within it are dropped
};

// kInvalidArgument unless `region` is a region id (1-16 of [a-z0-9-], as the config requires).
Status check_region(std::string_view region);

// kInvalidArgument naming the first field out of range: region not an id, shards not 1..256,
// replicas not 1..5, max_age or max_bytes not positive, duplicate_window under 10 minutes or over
// max_age.
Status validate(const StreamLayout& layout);

// "TELEMETRY_CN_0": the region id upper-cased.
std::string stream_name(std::string_view region, int shard);
// "telemetry.cn.0".
std::string stream_subject(std::string_view region, int shard);
// "region:cn", the server tag every stream of the region is placed on.
std::string region_tag(std::string_view region);

// The shard of a car: FNV-1a (64-bit) of its pseudonym mod `shards`. Stable across processes,
// builds and releases, because a car's blocks must keep landing in the same stream.
// REQUIRES: shards > 0.
int shard_of(std::string_view pseudonym, int shards);

// The key of one sealed block: its first record's created_at (ms since the epoch) and seq.
struct BlockKey {
  std::string pseudonym;
  int64_t created_at = 0;
  uint64_t seq = 0;
};

// "cn/p_0123…/1748735990000/42".
std::string msg_id(std::string_view region, const BlockKey& key);
// The key in a Msg-Id msg_id(region, key) made; kInvalidArgument for any other string (another
// region's, a missing or empty part, a number that does not parse).
Result<BlockKey> parse_msg_id(std::string_view region, std::string_view id);

}  // namespace fleetgate::stream
