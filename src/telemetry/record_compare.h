// Comparing a resent record with the stored one of its (created_at, seq): resends are stored
// once when their values are the same, and never replace a stored record when they differ.
#pragma once

#include "fleetgate/core/result.h"
#include "fleetgate/telemetry/record.h"

namespace fleetgate::telemetry {

// Whether two records of one key hold the same values, in whatever order their fields came.
bool same_values(const Record& a, const Record& b);
// The kAlreadyExists of a resend of `r` with other values than the stored record.
Status stored_with_other_values(const Record& r);

}  // namespace fleetgate::telemetry
