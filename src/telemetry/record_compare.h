// Comparing a resent record with the stored one of its (created_at, seq): resends are stored
// once when their values are the same, and never replace a stored record when they differ.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "fleetgate/core/result.h"
#include "fleetgate/telemetry/record.h"

namespace fleetgate::telemetry {

// Whether two records of one key hold the same values, in whatever order their fields came.
bool same_values(const Record& a, const Record& b);
// The kAlreadyExists of a resend of `r` with other values than the stored record.
Status stored_with_other_values(const Record& r);

// A resend's records split against what is stored under their key: the records not stored yet,
// in the order sent, and those stored with other values (counted; the first one's error kept).
struct ResendSplit {
  std::vector<Record> missing;
  size_t conflicts = 0;
  Status first_conflict;  // stored_with_other_values() of the first conflict; OK when none
};
ResendSplit split_resend(std::span<const Record> stored, std::vector<Record> sent);

}  // namespace fleetgate::telemetry
