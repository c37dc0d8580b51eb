// Creates a region's telemetry streams on its JetStream cluster, or brings existing ones to the
// layout. Every stream is placed with `placement.tags = ["region:<id>"]`: a cluster none of whose
// servers carries the region's tag (a URL pointing at another region's cluster) refuses it.
#pragma once

#include "fleetgate/core/result.h"
#include "fleetgate/stream/cluster_connection.h"
#include "fleetgate/stream/stream_layout.h"

namespace fleetgate::stream {

// Each of the layout's `shards` streams: file storage, `replicas` replicas, limits retention with
// `max_age`, `max_bytes` with discard-new (a full stream refuses publishes rather than drop blocks
// no reader may have seen yet), the duplicate window. Idempotent; a stream that exists with other
// limits is updated. Errors: kInvalidArgument for a bad layout or one of another region than the
// connection's; kFailedPrecondition when the cluster has no (or too few) servers tagged
// region:<id>, or a stream of that name exists placed elsewhere; kUnavailable when the cluster
// does not answer.
Status ensure_telemetry_streams(ClusterConnection& cluster, const StreamLayout& layout);

}  // namespace fleetgate::stream
