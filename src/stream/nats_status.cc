#include "fleetgate/stream/nats_status.h"

#include <string>

namespace fleetgate::stream {
namespace {

Code code_of(natsStatus s, jsErrCode js_code) {
  switch (js_code) {
    case JSClusterNoPeersErr:
    case JSInsufficientResourcesErr:
      return Code::kFailedPrecondition;
    case JSStreamStoreFailedErr:  // the stream refused to store: with DiscardNew, it is full
      return Code::kResourceExhausted;
    case JSStreamNotFoundErr:
    case JSConsumerNotFoundErr:
      return Code::kNotFound;
    default:
      break;
  }
  switch (s) {
    case NATS_NO_SERVER:
    case NATS_CONNECTION_CLOSED:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_STALE_CONNECTION:
    case NATS_TIMEOUT:
    case NATS_NO_RESPONDERS:
    case NATS_IO_ERROR:
      return Code::kUnavailable;
    case NATS_NOT_FOUND:
      return Code::kNotFound;
    case NATS_INVALID_ARG:
    case NATS_INVALID_SUBJECT:
    case NATS_MAX_PAYLOAD:
      return Code::kInvalidArgument;
    default:
      return Code::kInternal;
  }
}

}  // namespace

Status nats_error(std::string_view what, natsStatus s, jsErrCode js_code, std::string_view detail) {
  std::string message(what);
  message += ": ";
  if (!detail.empty()) {
    message += detail;
  } else {
    natsStatus ignored;
    const char* text = nats_GetLastError(&ignored);
    std::string_view last = text != nullptr ? text : "";
    // nats.c prefixes its text with its own source position: "(jsm.c:1033): no suitable peers…".
    if (last.starts_with('(')) {
      if (const size_t end = last.find("): "); end != std::string_view::npos) last.remove_prefix(end + 3);
    }
    message += last.empty() ? std::string_view(natsStatus_GetText(s)) : last;
  }
  if (s == NATS_NO_RESPONDERS) message += " (no stream leader answered: the stream is missing or electing one)";
  if (js_code != 0) message += " (JetStream error " + std::to_string(static_cast<int>(js_code)) + ")";
  return {code_of(s, js_code), std::move(message)};
}

}  // namespace fleetgate::stream
