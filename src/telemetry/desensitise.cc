#include "fleetgate/telemetry/desensitise.h"

#include <algorithm>

namespace fleetgate::telemetry {

Result<DesensitisedRecord> desensitise(const Record& record, const DesensitiseOptions& options) {
  if (record.pseudonym.empty()) return failed_precondition("desensitise needs a record with its region pseudonym");
  auto pseudonym = options.pseudonymiser.pseudonym(record.pseudonym);
  if (!pseudonym) return pseudonym.status();
  DesensitisedRecord out;
  out.transfer_pseudonym = std::move(pseudonym).value();
  out.time_bucket_ms = options.coarsener.bucket_time(record.created_at_ms);
  for (const Datum& d : record.data) {
    if (std::find(options.fields.begin(), options.fields.end(), d.field) == options.fields.end()) continue;
    const auto* loc = std::get_if<Location>(&d.value);
    if (loc == nullptr) {
      out.data.push_back(d);
      continue;
    }
    auto coarse = options.coarsener.coarsen({loc->lat, loc->lon});
    if (coarse) out.data.push_back({d.field, Location{coarse->lat, coarse->lon, std::nullopt}});
  }
  return out;
}

}  // namespace fleetgate::telemetry
