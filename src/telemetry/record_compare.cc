#include "fleetgate/telemetry/record_compare.h"

#include <algorithm>
#include <string>
#include <vector>

namespace fleetgate::telemetry {

bool same_values(const Record& a, const Record& b) {
  if (a.data.size() != b.data.size()) return false;
  auto by_field = [](const Datum& x, const Datum& y) { return x.field < y.field; };
  std::vector<Datum> x = a.data, y = b.data;
  std::sort(x.begin(), x.end(), by_field);
  std::sort(y.begin(), y.end(), by_field);
  return x == y;
}

Status stored_with_other_values(const Record& r) {
  return already_exists("record (created_at " + std::to_string(r.created_at_ms) + ", seq " + std::to_string(r.seq) +
                        ") is already stored with other values; a stored record is never replaced");
}

ResendSplit split_resend(std::span<const Record> stored, std::vector<Record> sent) {
  ResendSplit split;
  for (Record& r : sent) {
    auto same = std::find_if(stored.begin(), stored.end(), [&](const Record& s) {
      return s.created_at_ms == r.created_at_ms && s.seq == r.seq;
    });
    if (same == stored.end()) {
      split.missing.push_back(std::move(r));
    } else if (!same_values(*same, r) && split.conflicts++ == 0) {
      split.first_conflict = stored_with_other_values(r);
    }
  }
  return split;
}

}  // namespace fleetgate::telemetry
