// Internal to the telemetry module: conversion of one Datum to and from its wire.Datum message,
// shared by the frame encoding and the at-rest codec.
#pragma once

#include <cstddef>
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

void to_wire(const Datum& d, wire::Datum& out);
// kInvalidArgument naming data[index] for an unknown or missing field number or a missing value.
Result<Datum> from_wire(const wire::Datum& d, size_t index);

}  // namespace fleetgate::telemetry
