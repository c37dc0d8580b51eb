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

}  // namespace fleetgate::telemetry
