// A vehicle's driving trace as curation sees it: time-ordered samples of speed, longitudinal
// acceleration, heading and position, decoded in region from the sealed telemetry records (the
// pseudonym stays the vehicle's name; the VIN is never used). Acceleration comes from the
// longitudinal_acceleration field when reported, else from speed differences; heading from the
// heading field, else the location's heading, else the previous sample's.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fleetgate/core/result.h"
#include "fleetgate/privacy/keyring.h"
#include "fleetgate/store/kv_store.h"
#include "fleetgate/telemetry/record.h"
#include "fleetgate/telemetry/record_codec.h"

namespace fleetgate::learning {

struct TraceSample {
  int64_t t_ms = 0;
  double speed_kmh = 0;
  double accel_mps2 = 0;  // longitudinal, negative while braking
  double heading_deg = 0;
  double lat = 0, lon = 0;
  bool has_location = false;
};

struct VehicleTrace {
  std::string vehicle;  // region pseudonym
  std::vector<TraceSample> samples;  // strictly increasing t_ms
};

// Builds a trace from one vehicle's records (any order); records without a speed are skipped,
// and of records with equal created_at only the first is kept.
VehicleTrace trace_from_records(std::string vehicle, std::vector<telemetry::Record> records);

// Every vehicle's trace in a region store, ordered by pseudonym. kDataLoss when a record does not
// open with `codec` (another region's or a lost key), or the store's scan error.
// REQUIRES: `codec` seals for the region that `store` holds.
Result<std::vector<VehicleTrace>> read_region_traces(const store::KvReader& store, const telemetry::RecordCodec& codec);

}  // namespace fleetgate::learning
