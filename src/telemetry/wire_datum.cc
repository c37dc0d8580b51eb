#include "fleetgate/telemetry/wire_datum.h"

#include <string>
#include <type_traits>

namespace fleetgate::telemetry {

void to_wire(const Datum& d, wire::Datum& out) {
  out.set_field(static_cast<wire::Field>(d.field));
  set_value(d.value, out);
}

Result<const FieldSpec*> check_wire(const wire::Datum& d, size_t index) {
  // Only errors name the datum: building the text for every datum is a measurable part of ingest.
  auto at = [index] { return "data[" + std::to_string(index) + "]"; };
  if (d.field() == wire::FIELD_UNSPECIFIED) return invalid_argument(at() + ".field: missing");
  const FieldSpec* s = find_field(static_cast<uint32_t>(d.field()));
  if (s == nullptr) return invalid_argument(at() + ".field: unknown field number " + std::to_string(d.field()));
  if (d.value_case() == wire::Datum::VALUE_NOT_SET) return invalid_argument(at() + " (" + std::string(s->name) + "): no value");
  return s;
}

Result<Datum> from_wire(const wire::Datum& d, size_t index) {
  Result<const FieldSpec*> s = check_wire(d, index);
  if (!s.is_ok()) return s.status();
  return Datum{(*s)->field, *value_of(d)};
}

}  // namespace fleetgate::telemetry
