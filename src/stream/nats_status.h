// nats.c's results as fleetgate Statuses: a natsStatus (and, for JetStream API errors, its
// jsErrCode) becomes a Status whose message names what was attempted and the library's reason.
#pragma once

#include <nats/nats.h>  // not <nats.h>, which 3.4 deprecates with a #warning

#include <string_view>

#include "fleetgate/core/result.h"

namespace fleetgate::stream {

// kUnavailable for a server that cannot be reached, a request or PubAck that timed out, or a
// stream with no leader to answer (all retryable); kResourceExhausted for a stream that is full;
// kFailedPrecondition for a placement no server of the cluster can satisfy; kInternal otherwise.
// `what` says what failed ("publish to TELEMETRY_CN_0"); `detail`, when not empty, is the
// server's own text (a PubAck error's), used instead of nats.c's last error of this thread.
Status nats_error(std::string_view what, natsStatus s, jsErrCode js_code = static_cast<jsErrCode>(0),
                  std::string_view detail = {});

}  // namespace fleetgate::stream
