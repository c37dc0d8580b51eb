// The line format of what `fleetgate serve` logs ([log] in the config): the time (UTC, ms), the
// level, the region, route and request id of the innermost LogScope (log_tags.h), the message.
#pragma once

#include <spdlog/formatter.h>

#include <memory>

#include "fleetgate/core/config.h"

namespace fleetgate {

// Text: `2026-12-07T18:05:01.123Z info cn /v1/chat/completions req_…_1 message` ("-" for an
// empty tag). JSON: {"time","level","region","route","request_id","message"}, empty tags omitted.
std::unique_ptr<spdlog::formatter> make_log_formatter(config::LogSettings::Format format);

// Sets the default logger's formatter and level from `settings`.
void apply_log_settings(const config::LogSettings& settings);

}  // namespace fleetgate
