// The desensitised form of a telemetry record, the only form that may leave its region, and only
// through an approved transfer: the VIN is gone, the pseudonym is re-keyed for the transfer, the
// time floors to a bucket, the sequence number is dropped, only the approved fields remain, and
// locations are snapped to the grid (heading removed) or dropped inside sensitive zones.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "fleetgate/core/result.h"
#include "fleetgate/privacy/coarsen.h"
#include "fleetgate/privacy/pseudonymiser.h"
#include "fleetgate/telemetry/record.h"

namespace fleetgate::telemetry {

struct DesensitisedRecord {
  std::string transfer_pseudonym;  // "t_…", stable within one transfer only
  int64_t time_bucket_ms = 0;      // start of the bucket holding created_at
  std::vector<Datum> data;
  bool operator==(const DesensitisedRecord&) const = default;
};

struct DesensitiseOptions {
  const privacy::Coarsener& coarsener;
  const privacy::TransferPseudonymiser& pseudonymiser;
  std::span<const Field> fields;  // approved fields; everything else is dropped
};

// REQUIRES: record.pseudonym is set (records decoded by RecordCodec); kFailedPrecondition if not.
Result<DesensitisedRecord> desensitise(const Record& record, const DesensitiseOptions& options);

}  // namespace fleetgate::telemetry
