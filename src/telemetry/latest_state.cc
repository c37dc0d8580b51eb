#include "fleetgate/telemetry/latest_state.h"

#include <tuple>

#include "fleetgate/telemetry/proto_format.h"
#include "fleetgate/telemetry/wire_datum.h"

namespace fleetgate::telemetry {
namespace {

template <typename T>
std::optional<T> as(const Value* v) {
  if (v == nullptr || !std::holds_alternative<T>(*v)) return std::nullopt;
  return std::get<T>(*v);
}

}  // namespace

const Value* LatestState::value(Field f) const {
  auto it = values.find(f);
  return it == values.end() ? nullptr : &it->second;
}

std::optional<double> LatestState::speed_kmh() const { return as<double>(value(Field::kSpeed)); }

std::optional<std::string> LatestState::gear() const { return as<std::string>(value(Field::kGear)); }

std::optional<bool> LatestState::charging() const {
  std::optional<std::string> s = as<std::string>(value(Field::kChargingState));
  if (!s || *s == "fault") return std::nullopt;
  return *s == "charging";
}

std::optional<bool> LatestState::charge_cable_connected() const {
  std::optional<std::string> s = as<std::string>(value(Field::kChargingState));
  if (!s || *s == "fault") return std::nullopt;
  return *s != "disconnected";
}

Record LatestState::to_record() const {
  Record r;
  r.vin = vin;
  r.created_at_ms = updated_at_ms;
  r.seq = seq;
  r.data.reserve(values.size());
  for (const auto& [field, v] : values) r.data.push_back({field, v});
  return r;
}

LatestState LatestState::from_record(const Record& r) {
  LatestState s;
  s.vin = r.vin;
  s.updated_at_ms = r.created_at_ms;
  s.seq = r.seq;
  for (const Datum& d : r.data) s.values[d.field] = d.value;
  return s;
}

bool fold(LatestState& state, const wire::Payload& r) {
  const bool empty = state.vin.empty();
  if (!empty && std::tuple(r.created_at(), r.seq()) < std::tie(state.updated_at_ms, state.seq)) return false;
  if (empty) state.vin = r.vin();
  state.updated_at_ms = r.created_at();
  state.seq = r.seq();
  for (const wire::Datum& d : r.data()) state.values[static_cast<Field>(d.field())] = *value_of(d);
  return true;
}

bool fold(LatestState& state, const Record& r) {
  wire::Payload payload;
  to_payload(r, payload);
  return fold(state, payload);
}

}  // namespace fleetgate::telemetry
