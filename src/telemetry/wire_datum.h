// Internal to the telemetry module: conversion of one Datum to and from its wire.Datum message,
// shared by the frame encoding and the at-rest codec, and of a Value to and from the value oneof
// that wire.Datum and stored.StoredDatum spell alike.
#pragma once

#include <cstddef>
#include <optional>
#include <type_traits>
#include <variant>

#include "fleetgate/core/result.h"
#include "fleetgate/telemetry/proto/telemetry.pb.h"
#include "fleetgate/telemetry/record.h"

namespace fleetgate::telemetry {

// Sets the scalar oneof member of a wire.Datum or stored.StoredDatum from `v`; false (nothing
// set) for a Location, which each message carries its own way.
template <typename Message>
bool set_scalar(const Value& v, Message& out) {
  return std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>) {
          out.set_string_value(x);
        } else if constexpr (std::is_same_v<T, int64_t>) {
          out.set_int_value(x);
        } else if constexpr (std::is_same_v<T, double>) {
          out.set_double_value(x);
        } else if constexpr (std::is_same_v<T, bool>) {
          out.set_bool_value(x);
        } else {
          return false;
        }
        return true;
      },
      v);
}

// Sets the value oneof of a wire.Datum or stored.StoredDatum from `v`.
template <typename Message>
void set_value(const Value& v, Message& out) {
  if (set_scalar(v, out)) return;
  const auto& loc = std::get<Location>(v);
  auto* l = out.mutable_location_value();
  l->set_lat(loc.lat);
  l->set_lon(loc.lon);
  if (loc.heading) l->set_heading(*loc.heading);
}

// The value in the oneof of a wire.Datum or stored.StoredDatum; nullopt when none is set (or one
// only that message has).
template <typename Message>
std::optional<Value> value_of(const Message& d) {
  switch (d.value_case()) {
    case Message::kStringValue: return Value{d.string_value()};
    case Message::kIntValue: return Value{d.int_value()};
    case Message::kDoubleValue: return Value{d.double_value()};
    case Message::kBoolValue: return Value{d.bool_value()};
    case Message::kLocationValue: {
      const auto& l = d.location_value();
      return Value{Location{l.lat(), l.lon(), l.has_heading() ? std::optional<double>(l.heading()) : std::nullopt}};
    }
    default: return std::nullopt;
  }
}

void to_wire(const Datum& d, wire::Datum& out);
// The catalogue entry of a well-formed wire.Datum: kInvalidArgument naming data[index] for an
// unknown or missing field number or a missing value.
Result<const FieldSpec*> check_wire(const wire::Datum& d, size_t index);
// check_wire, then the datum.
Result<Datum> from_wire(const wire::Datum& d, size_t index);

}  // namespace fleetgate::telemetry
