#include "fleetgate/app/vehicle_states.h"

#include <boost/json.hpp>

#include "fleetgate/core/json_text.h"
#include "fleetgate/privacy/field_cipher.h"

namespace fleetgate::app {
namespace {

namespace json = boost::json;
using assistant::VehicleState;

constexpr int kReportAttempts = 8;  // conditional writes lost to other nodes' reports of one car

std::string encode(const VehicleState& s) {
  json::object o{{"updated_at_ms", std::chrono::duration_cast<std::chrono::milliseconds>(s.updated_at.time_since_epoch()).count()}};
  if (s.speed_kmh) o["speed_kmh"] = *s.speed_kmh;
  if (s.gear) o["gear"] = assistant::gear_name(*s.gear);
  if (s.charging) o["charging"] = *s.charging;
  if (s.charge_cable_connected) o["charge_cable_connected"] = *s.charge_cable_connected;
  json::object seats;
  for (const auto& [seat, occupied] : s.occupancy) seats[seat] = occupied;
  if (!seats.empty()) o["occupancy"] = std::move(seats);
  return json_text(o);  // speeds read back exactly
}

Result<VehicleState> decode(std::string_view text) {
  std::error_code ec;
  const json::value v = parse_json(text, ec);
  if (ec || !v.is_object()) return data_loss("reported vehicle state: not a JSON object");
  const json::object& o = v.as_object();
  VehicleState s;
  const json::value* t = o.if_contains("updated_at_ms");
  if (t == nullptr || !t->is_int64()) return data_loss("reported vehicle state: no updated_at_ms");
  s.updated_at = assistant::Clock::time_point(std::chrono::milliseconds(t->as_int64()));
  if (const json::value* x = o.if_contains("speed_kmh"); x != nullptr && x->is_number()) s.speed_kmh = x->to_number<double>();
  if (const json::value* x = o.if_contains("gear"); x != nullptr && x->is_string()) {
    s.gear = assistant::parse_gear(std::string_view(x->as_string()));
  }
  if (const json::value* x = o.if_contains("charging"); x != nullptr && x->is_bool()) s.charging = x->as_bool();
  if (const json::value* x = o.if_contains("charge_cable_connected"); x != nullptr && x->is_bool()) {
    s.charge_cable_connected = x->as_bool();
  }
  if (const json::value* x = o.if_contains("occupancy"); x != nullptr && x->is_object()) {
    for (const auto& [seat, occupied] : x->as_object()) {
      if (occupied.is_bool()) s.occupancy[std::string(seat)] = occupied.as_bool();
    }
  }
  return s;
}

// A sealed report opens only under its own key: moved to another vehicle's, it fails.
privacy::FieldBinding binding(const std::string& key) { return {key, 0}; }

}  // namespace

VehicleStates::VehicleStates(telemetry::IngestService& ingest, const vehicle::FleetRegistry& registry,
                             std::map<std::string, Home> homes)
    : ingest_(ingest), registry_(registry), homes_(homes.begin(), homes.end()) {}

Result<VehicleStates::Slot> VehicleStates::slot(std::string_view vin) const {
  auto record = registry_.show(vin);
  if (!record.is_ok()) return record.status();
  auto home = homes_.find(record->region);
  if (home == homes_.end()) return failed_precondition("region '" + record->region + "' is not served by this node");
  auto pseudonym = privacy::Pseudonymiser(home->second.keys).pseudonym(record->vin);
  if (!pseudonym.is_ok()) return pseudonym.status();
  return Slot{&home->second, std::string(kReportedStatePrefix) + *pseudonym, record->vin, ingest_.region(record->region)};
}

std::optional<VehicleState> VehicleStates::open(const Slot& slot, std::string_view sealed) const {
  auto plain = privacy::FieldCipher(slot.home->keys).open(sealed, binding(slot.key));
  if (!plain.is_ok()) return std::nullopt;
  auto state = decode(*plain);
  if (!state.is_ok()) return std::nullopt;
  return std::move(state).value();
}

std::optional<VehicleState> VehicleStates::latest(std::string_view vin) const {
  auto s = slot(vin);
  if (!s.is_ok()) return std::nullopt;
  auto sealed = s->home->store->get(s->key);
  std::optional<VehicleState> reported_state = sealed.is_ok() ? open(*s, *sealed) : std::nullopt;
  auto t = s->telemetry != nullptr ? s->telemetry->latest(s->vin) : Result<telemetry::LatestState>(not_found("no telemetry"));
  if (!t.is_ok()) return reported_state;
  VehicleState from_telemetry;
  from_telemetry.updated_at = assistant::Clock::time_point(std::chrono::milliseconds(t->updated_at_ms));
  if (reported_state && reported_state->updated_at >= from_telemetry.updated_at) return reported_state;
  from_telemetry.speed_kmh = t->speed_kmh();
  if (auto g = t->gear()) from_telemetry.gear = assistant::parse_gear(*g);
  from_telemetry.charging = t->charging();
  from_telemetry.charge_cable_connected = t->charge_cable_connected();
  return from_telemetry;
}

Status VehicleStates::report(std::string_view vin, const VehicleState& state) {
  auto s = slot(vin);
  if (!s.is_ok()) return s.status();
  auto sealed = privacy::FieldCipher(s->home->keys).seal(encode(state), binding(s->key));
  if (!sealed.is_ok()) return sealed.status();
  store::WriteBatch batch;
  batch.put(s->key, *sealed);
  for (int attempt = 0; attempt < kReportAttempts; ++attempt) {
    auto current = s->home->store->get(s->key);
    if (!current.is_ok() && current.status().code() != Code::kNotFound) return current.status();
    std::optional<std::string> expected;
    if (current.is_ok()) {
      expected = *current;
      std::optional<VehicleState> stored = open(*s, *current);
      if (stored && stored->updated_at > state.updated_at) return Status::ok();  // a newer report holds
    }
    Status written = s->home->store->write_if(s->key, expected, batch);
    if (written.code() != Code::kAborted) return written;
  }
  return unavailable("the vehicle's state changed " + std::to_string(kReportAttempts) + " times while it was written");
}

}  // namespace fleetgate::app
