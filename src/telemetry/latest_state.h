// The latest known state of one vehicle: the last reported value of every field, folded from its
// records as they are ingested. The gateway's safety interlocks read it (speed, gear, charging).
// Records older than the state (by created_at, then seq) arrive late from offline buffers and do
// not roll it back.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "fleetgate/telemetry/proto/telemetry.pb.h"
#include "fleetgate/telemetry/record.h"

namespace fleetgate::telemetry {

struct LatestState {
  std::string vin;
  int64_t updated_at_ms = 0;  // created_at of the newest record folded in
  uint64_t seq = 0;           // its seq
  std::map<Field, Value> values;

  // nullptr when the vehicle never reported `f`.
  const Value* value(Field f) const;
  std::optional<double> speed_kmh() const;
  std::optional<std::string> gear() const;  // "P", "R", "N", "D"
  // From charging_state: charging is "charging"; the cable is connected in "connected",
  // "charging" and "complete", not in "disconnected"; unknown (nullopt) in "fault" or unreported.
  std::optional<bool> charging() const;
  std::optional<bool> charge_cable_connected() const;

  // The state as a record (created_at = updated_at, one datum per field) for sealing at rest.
  Record to_record() const;
  static LatestState from_record(const Record& r);
  bool operator==(const LatestState&) const = default;
};

// Folds `r` into `state` unless r is older than it; true when the state changed.
// REQUIRES: r is valid (Validator), and r.vin == state.vin or state is empty.
bool fold(LatestState& state, const wire::Payload& r);
// The same for a decoded record.
bool fold(LatestState& state, const Record& r);

}  // namespace fleetgate::telemetry
