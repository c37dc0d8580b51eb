// Internal to the telemetry module: conversion of one Datum to and from its wire.Datum message,
// shared by the frame encoding and the at-rest codec.
#pragma once

#include <cstddef>

#include "fleetgate/core/result.h"
#include "fleetgate/telemetry/proto/telemetry.pb.h"
#include "fleetgate/telemetry/record.h"

namespace fleetgate::telemetry {

void to_wire(const Datum& d, wire::Datum& out);
// kInvalidArgument naming data[index] for an unknown or missing field number or a missing value.
Result<Datum> from_wire(const wire::Datum& d, size_t index);

}  // namespace fleetgate::telemetry
