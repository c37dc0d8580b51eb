// Checks a decoded telemetry record against the catalogue and the ingest limits. Every error is
// kInvalidArgument and names what is wrong and where, e.g. "data[3] (speed): 612 km/h is out of
// range [0, 500]". The clock is injectable so tests control "now".
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>

#include "fleetgate/core/result.h"
#include "fleetgate/telemetry/proto/telemetry.pb.h"
#include "fleetgate/telemetry/record.h"

namespace fleetgate::telemetry {

struct ValidationOptions {
  size_t max_frame_bytes = 64 * 1024;  // encoded frame, either format
  size_t max_data_items = 256;         // data entries per record
  std::chrono::milliseconds max_clock_skew = std::chrono::minutes(5);  // created_at ahead of now
  std::chrono::milliseconds max_age = std::chrono::hours(24 * 7);      // vehicles buffer while offline
};

// Milliseconds since the Unix epoch.
using Clock = std::function<int64_t()>;
int64_t system_clock_ms();

class Validator {
 public:
  explicit Validator(ValidationOptions options = {}, Clock clock = system_clock_ms)
      : options_(options), clock_(std::move(clock)) {}

  // OK when every datum has a known field number and a value (checked first, wire_datum.h
  // check_wire), the VIN is valid (vehicle::validate), created_at is within [now - max_age,
  // now + max_clock_skew], there are at most max_data_items entries and each value has the
  // catalogue's type and lies in its range (finite, in the allowed set for strings). Ingest
  // validates records as received, without decoding them into Records.
  Status validate(const wire::Payload& record) const;
  // The same for a decoded record.
  Status validate(const Record& record) const;

  const ValidationOptions& options() const { return options_; }

 private:
  Status validate_datum(size_t index, const FieldSpec& s, const wire::Datum& d) const;

  ValidationOptions options_;
  Clock clock_;
};

}  // namespace fleetgate::telemetry
