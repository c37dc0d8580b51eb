#include "fleetgate/telemetry/catalogue.h"

#include <algorithm>
#include <array>
#include <cassert>

namespace fleetgate::telemetry {
namespace {

using enum Field;
using T = ValueType;
using enum DataClass;

constexpr std::string_view kGears[] = {"P", "R", "N", "D"};
constexpr std::string_view kAssistStates[] = {"off", "available", "active", "fault"};
constexpr std::string_view kChargingStates[] = {"disconnected", "connected", "charging", "complete", "fault"};
constexpr std::span<const std::string_view> kAny{};

// Location ranges are fixed by Location itself (lat [-90, 90], lon [-180, 180], heading [0, 360]).
constexpr FieldSpec kCatalogue[] = {
    {kSpeed, "speed", T::kDouble, "km/h", 0, 500, kAny, kPersonal, "vehicle speed over ground"},
    {kGear, "gear", T::kString, "", 0, 0, kGears, kTechnical, "selected gear"},
    {kLocation, "location", T::kLocation, "deg", 0, 0, kAny, kPersonal, "GNSS position, optional heading"},
    {kHeading, "heading", T::kDouble, "deg", 0, 360, kAny, kPersonal, "course clockwise from north"},
    {kStateOfCharge, "state_of_charge", T::kDouble, "%", 0, 100, kAny, kTechnical, "traction battery charge"},
    {kOdometer, "odometer", T::kDouble, "km", 0, 5'000'000, kAny, kTechnical, "total distance driven"},
    {kBrakePedal, "brake_pedal", T::kDouble, "%", 0, 100, kAny, kPersonal, "brake pedal travel"},
    {kAcceleratorPedal, "accelerator_pedal", T::kDouble, "%", 0, 100, kAny, kPersonal, "accelerator pedal travel"},
    {kSteeringAngle, "steering_angle", T::kDouble, "deg", -1080, 1080, kAny, kPersonal,
     "steering wheel angle, positive to the left"},
    {kDriverAssistState, "driver_assist_state", T::kString, "", 0, 0, kAssistStates, kTechnical,
     "driver assistance system state"},
    {kChargingState, "charging_state", T::kString, "", 0, 0, kChargingStates, kTechnical, "charging session state"},
    {kCabinTemperature, "cabin_temperature", T::kDouble, "°C", -60, 100, kAny, kTechnical, "cabin air temperature"},
    {kOutsideTemperature, "outside_temperature", T::kDouble, "°C", -70, 70, kAny, kTechnical, "outside air temperature"},
    {kRangeEstimate, "range_estimate", T::kInt, "km", 0, 3000, kAny, kTechnical, "estimated remaining range"},
    {kDoorFrontLeftOpen, "door_front_left_open", T::kBool, "", 0, 0, kAny, kTechnical, "front left door open"},
    {kDoorFrontRightOpen, "door_front_right_open", T::kBool, "", 0, 0, kAny, kTechnical, "front right door open"},
    {kDoorRearLeftOpen, "door_rear_left_open", T::kBool, "", 0, 0, kAny, kTechnical, "rear left door open"},
    {kDoorRearRightOpen, "door_rear_right_open", T::kBool, "", 0, 0, kAny, kTechnical, "rear right door open"},
    {kTrunkOpen, "trunk_open", T::kBool, "", 0, 0, kAny, kTechnical, "trunk (boot) open"},
    {kFrunkOpen, "frunk_open", T::kBool, "", 0, 0, kAny, kTechnical, "front trunk open"},
    {kWindowFrontLeft, "window_front_left", T::kInt, "%", 0, 100, kAny, kTechnical, "front left window, percent open"},
    {kWindowFrontRight, "window_front_right", T::kInt, "%", 0, 100, kAny, kTechnical, "front right window, percent open"},
    {kWindowRearLeft, "window_rear_left", T::kInt, "%", 0, 100, kAny, kTechnical, "rear left window, percent open"},
    {kWindowRearRight, "window_rear_right", T::kInt, "%", 0, 100, kAny, kTechnical, "rear right window, percent open"},
    {kChargePortOpen, "charge_port_open", T::kBool, "", 0, 0, kAny, kTechnical, "charge port door open"},
    {kLongitudinalAcceleration, "longitudinal_acceleration", T::kDouble, "m/s²", -50, 50, kAny, kPersonal,
     "acceleration along the vehicle axis, positive forward"},
    {kLateralAcceleration, "lateral_acceleration", T::kDouble, "m/s²", -50, 50, kAny, kPersonal,
     "acceleration across the vehicle axis, positive to the left"},
    {kYawRate, "yaw_rate", T::kDouble, "deg/s", -360, 360, kAny, kPersonal, "rotation about the vertical axis"},
};

constexpr bool sorted_by_number() {
  for (size_t i = 1; i < std::size(kCatalogue); ++i) {
    if (kCatalogue[i - 1].field >= kCatalogue[i].field) return false;
  }
  return true;
}
static_assert(sorted_by_number(), "keep the catalogue in number order, one entry per field");

// Field numbers 60 and up are reserved (telemetry.proto), so a table indexed by number finds a spec
// in one step: ingest looks up every datum several times.
constexpr uint32_t kFirstReserved = 60;
constexpr auto kByNumber = [] {
  std::array<const FieldSpec*, kFirstReserved> table{};
  for (const FieldSpec& s : kCatalogue) table[static_cast<uint32_t>(s.field)] = &s;
  return table;
}();

}  // namespace

std::span<const FieldSpec> catalogue() { return kCatalogue; }

const FieldSpec* find_field(uint32_t number) { return number < kFirstReserved ? kByNumber[number] : nullptr; }

const FieldSpec* find_field(std::string_view name) {
  auto it = std::find_if(std::begin(kCatalogue), std::end(kCatalogue), [&](const FieldSpec& s) { return s.name == name; });
  return it == std::end(kCatalogue) ? nullptr : &*it;
}

const FieldSpec& spec(Field f) {
  const FieldSpec* s = find_field(static_cast<uint32_t>(f));
  assert(s != nullptr);
  return *s;
}

std::string_view to_string(ValueType t) {
  switch (t) {
    case T::kString: return "string";
    case T::kInt: return "int";
    case T::kDouble: return "double";
    case T::kBool: return "bool";
    case T::kLocation: return "location";
  }
  return "unknown";
}

std::string_view to_string(DataClass c) { return c == kPersonal ? "personal" : "technical"; }

}  // namespace fleetgate::telemetry
