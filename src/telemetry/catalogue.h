// The telemetry field catalogue: for each field its stable number (the wire.Field enum of
// proto/telemetry.proto), JSON name, value type, unit, valid range and data class. This table is the
// one place that knows them; FIELDS.md is checked against it and the proto enum by catalogue_test.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace fleetgate::telemetry {

// Numbers equal wire.Field; never reuse a retired one.
enum class Field : uint32_t {
  kSpeed = 1,
  kGear = 2,
  kLocation = 3,
  kHeading = 4,
  kStateOfCharge = 5,
  kOdometer = 6,
  kBrakePedal = 7,
  kAcceleratorPedal = 8,
  kSteeringAngle = 9,
  kDriverAssistState = 10,
  kChargingState = 11,
  kCabinTemperature = 12,
  kOutsideTemperature = 13,
  kRangeEstimate = 14,
  kDoorFrontLeftOpen = 20,
  kDoorFrontRightOpen = 21,
  kDoorRearLeftOpen = 22,
  kDoorRearRightOpen = 23,
  kTrunkOpen = 24,
  kFrunkOpen = 25,
  kWindowFrontLeft = 26,
  kWindowFrontRight = 27,
  kWindowRearLeft = 28,
  kWindowRearRight = 29,
  kChargePortOpen = 30,
  kLongitudinalAcceleration = 40,
  kLateralAcceleration = 41,
  kYawRate = 42,
};

// Order matches the alternatives of telemetry::Value.
enum class ValueType { kString, kInt, kDouble, kBool, kLocation };

// kPersonal fields describe where and how a person drives: encrypted at rest, only ever leave
// their region desensitised. kTechnical fields describe the vehicle and are stored in clear
// (still homed in the region as personal.telemetry of a pseudonymous vehicle).
enum class DataClass { kPersonal, kTechnical };

struct FieldSpec {
  Field field;
  std::string_view name;   // JSON and documentation name, e.g. "speed"
  ValueType type;
  std::string_view unit;   // "" when unitless
  double min;              // inclusive range for kInt and kDouble values
  double max;
  std::span<const std::string_view> allowed;  // for kString: the accepted values
  DataClass data_class;
  std::string_view description;
};

// Every field, in number order.
std::span<const FieldSpec> catalogue();
// nullptr when no field has that number or name.
const FieldSpec* find_field(uint32_t number);
const FieldSpec* find_field(std::string_view name);
// REQUIRES: `f` is an enumerator of Field (all are in the catalogue).
const FieldSpec& spec(Field f);

std::string_view to_string(ValueType t);  // "string", "int", "double", "bool", "location"
std::string_view to_string(DataClass c);  // "personal", "technical"

}  // namespace fleetgate::telemetry
