// The normalised in-memory telemetry record that ingest produces and the store and queries use.
// Decoders (proto_format.h, json_format.h) build it, Validator checks it, RecordCodec turns it into
// the stored bytes and back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "fleetgate/telemetry/catalogue.h"

namespace fleetgate::telemetry {

struct Location {
  double lat = 0;                  // WGS84 degrees
  double lon = 0;
  std::optional<double> heading;   // degrees clockwise from north
  bool operator==(const Location&) const = default;
};

// Alternatives in ValueType order.
using Value = std::variant<std::string, int64_t, double, bool, Location>;
ValueType value_type(const Value& v);

struct Datum {
  Field field;
  Value value;
  bool operator==(const Datum&) const = default;
};

struct Record {
  std::string vin;          // raw VIN; only in memory, never stored (RecordCodec seals it)
  std::string pseudonym;    // region pseudonym, set by RecordCodec (empty before encoding)
  int64_t created_at_ms = 0;  // vehicle clock, ms since the Unix epoch
  uint64_t seq = 0;           // per-vehicle sequence number
  std::vector<Datum> data;
  bool operator==(const Record&) const = default;
};

}  // namespace fleetgate::telemetry
