#include "fleetgate/stream/stream_setup.h"

#include <string>

#include "fleetgate/stream/nats_status.h"

namespace fleetgate::stream {
namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000;

struct StreamInfoDeleter {
  void operator()(jsStreamInfo* si) const { jsStreamInfo_Destroy(si); }
};
using StreamInfo = std::unique_ptr<jsStreamInfo, StreamInfoDeleter>;

bool placed_on(const jsStreamInfo& info, const std::string& tag) {
  const jsPlacement* p = info.Config != nullptr ? info.Config->Placement : nullptr;
  if (p == nullptr) return false;
  for (int i = 0; i < p->TagsLen; ++i) {
    if (p->Tags[i] != nullptr && tag == p->Tags[i]) return true;
  }
  return false;
}

Status ensure_stream(ClusterConnection& cluster, const StreamLayout& layout, int shard) {
  const std::string name = stream_name(layout.region, shard);
  const std::string subject = stream_subject(layout.region, shard);
  const std::string tag = region_tag(layout.region);
  const char* subjects[] = {subject.c_str()};
  const char* tags[] = {tag.c_str()};
  jsPlacement placement;
  jsPlacement_Init(&placement);
  placement.Cluster = "";  // nats.c 3.4's js_AddStream crashes on a NULL cluster (issue 22)
  placement.Tags = tags;
  placement.TagsLen = 1;
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = name.c_str();
  cfg.Subjects = subjects;
  cfg.SubjectsLen = 1;
  cfg.Retention = js_LimitsPolicy;
  cfg.Storage = js_FileStorage;
  cfg.Discard = js_DiscardNew;
  cfg.Replicas = layout.replicas;
  cfg.MaxAge = layout.max_age.count() * kNanosPerSecond;
  cfg.MaxBytes = layout.max_bytes;
  cfg.Duplicates = layout.duplicate_window.count() * kNanosPerSecond;
  cfg.Placement = &placement;

  jsErrCode code = static_cast<jsErrCode>(0);
  jsStreamInfo* raw = nullptr;
  natsStatus s = js_AddStream(&raw, cluster.js(), &cfg, nullptr, &code);
  StreamInfo created(raw);
  if (s == NATS_OK) return Status::ok();
  if (code == JSClusterNoPeersErr || code == JSInsufficientResourcesErr) {
    return failed_precondition("telemetry stream " + name + ": fewer than " + std::to_string(layout.replicas) +
                               " servers of the cluster at region " + cluster.region() + "'s URLs are tagged " + tag +
                               " (" + nats_error("JetStream", s, code).message() + ")");
  }
  if (code != JSStreamNameExistErr) return nats_error("create telemetry stream " + name, s, code);

  // The stream exists with another configuration: keep it only if it is this region's.
  raw = nullptr;
  s = js_GetStreamInfo(&raw, cluster.js(), name.c_str(), nullptr, &code);
  StreamInfo existing(raw);
  if (s != NATS_OK) return nats_error("read telemetry stream " + name, s, code);
  if (!placed_on(*existing, tag)) {
    return failed_precondition("telemetry stream " + name + " exists but is not placed on " + tag +
                               ": refusing to use it for region " + layout.region);
  }
  raw = nullptr;
  s = js_UpdateStream(&raw, cluster.js(), &cfg, nullptr, &code);
  StreamInfo updated(raw);
  if (s != NATS_OK) return nats_error("update telemetry stream " + name, s, code);
  return Status::ok();
}

}  // namespace

Status ensure_telemetry_streams(ClusterConnection& cluster, const StreamLayout& layout) {
  if (Status s = validate(layout); !s.is_ok()) return s;
  if (layout.region != cluster.region()) {
    return invalid_argument("telemetry streams of region " + layout.region + " asked of region " +
                            cluster.region() + "'s cluster");
  }
  for (int shard = 0; shard < layout.shards; ++shard) {
    if (Status s = ensure_stream(cluster, layout, shard); !s.is_ok()) return s;
  }
  return Status::ok();
}

}  // namespace fleetgate::stream
