#include "fleetgate/telemetry/wire_datum.h"

#include <string>
#include <type_traits>

namespace fleetgate::telemetry {

void to_wire(const Datum& d, wire::Datum& out) {
  out.set_field(static_cast<wire::Field>(d.field));
  if (set_scalar(d.value, out)) return;
  const auto& v = std::get<Location>(d.value);
  wire::Location* loc = out.mutable_location_value();
  loc->set_lat(v.lat);
  loc->set_lon(v.lon);
  if (v.heading) loc->set_heading(*v.heading);
}

Result<Datum> from_wire(const wire::Datum& d, size_t index) {
  // Only errors name the datum: building the text for every datum is a measurable part of ingest.
  auto at = [index] { return "data[" + std::to_string(index) + "]"; };
  if (d.field() == wire::FIELD_UNSPECIFIED) return invalid_argument(at() + ".field: missing");
  const FieldSpec* s = find_field(static_cast<uint32_t>(d.field()));
  if (s == nullptr) return invalid_argument(at() + ".field: unknown field number " + std::to_string(d.field()));
  switch (d.value_case()) {
    case wire::Datum::kStringValue: return Datum{s->field, d.string_value()};
    case wire::Datum::kIntValue: return Datum{s->field, d.int_value()};
    case wire::Datum::kDoubleValue: return Datum{s->field, d.double_value()};
    case wire::Datum::kBoolValue: return Datum{s->field, d.bool_value()};
    case wire::Datum::kLocationValue: {
      const wire::Location& l = d.location_value();
      Location loc{l.lat(), l.lon(), std::nullopt};
      if (l.has_heading()) loc.heading = l.heading();
      return Datum{s->field, loc};
    }
    case wire::Datum::VALUE_NOT_SET: break;
  }
  return invalid_argument(at() + " (" + std::string(s->name) + "): no value");
}

}  // namespace fleetgate::telemetry
