#include "fleetgate/telemetry/validator.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

#include "fleetgate/telemetry/proto_format.h"
#include "fleetgate/telemetry/wire_datum.h"
#include "fleetgate/vehicle/vin.h"

namespace fleetgate::telemetry {
namespace {

std::string number_text(double v) {
  std::ostringstream out;
  out << std::setprecision(15) << v;
  return out.str();
}

std::string where(size_t index, const FieldSpec& s) { return "data[" + std::to_string(index) + "] (" + std::string(s.name) + "): "; }

Status check_range(size_t index, const FieldSpec& s, double v, double min, double max, std::string_view what = "") {
  if (!std::isfinite(v)) return invalid_argument(where(index, s) + std::string(what) + "value is not a finite number");
  if (v < min || v > max) {
    std::string unit = s.unit.empty() ? "" : " " + std::string(s.unit);
    return invalid_argument(where(index, s) + std::string(what) + number_text(v) + unit + " is out of range [" +
                            number_text(min) + ", " + number_text(max) + "]");
  }
  return Status::ok();
}

// The ValueType of a datum's value. REQUIRES: a value is set (check_wire).
ValueType wire_type(const wire::Datum& d) {
  switch (d.value_case()) {
    case wire::Datum::kStringValue: return ValueType::kString;
    case wire::Datum::kIntValue: return ValueType::kInt;
    case wire::Datum::kDoubleValue: return ValueType::kDouble;
    case wire::Datum::kBoolValue: return ValueType::kBool;
    default: return ValueType::kLocation;
  }
}

}  // namespace

int64_t system_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

Status Validator::validate_datum(size_t index, const FieldSpec& s, const wire::Datum& d) const {
  const ValueType type = wire_type(d);
  if (type != s.type) {
    return invalid_argument(where(index, s) + "expected a " + std::string(to_string(s.type)) + " value, got a " +
                            std::string(to_string(type)));
  }
  switch (s.type) {
    case ValueType::kString: {
      const std::string& v = d.string_value();
      if (std::find(s.allowed.begin(), s.allowed.end(), v) != s.allowed.end()) return Status::ok();
      std::string list;
      for (auto a : s.allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      return invalid_argument(where(index, s) + "'" + v.substr(0, 32) + "' is not one of " + list);
    }
    case ValueType::kInt: return check_range(index, s, static_cast<double>(d.int_value()), s.min, s.max);
    case ValueType::kDouble: return check_range(index, s, d.double_value(), s.min, s.max);
    case ValueType::kBool: return Status::ok();
    case ValueType::kLocation: {
      const wire::Location& loc = d.location_value();
      if (Status st = check_range(index, s, loc.lat(), -90, 90, "lat "); !st.is_ok()) return st;
      if (Status st = check_range(index, s, loc.lon(), -180, 180, "lon "); !st.is_ok()) return st;
      if (loc.has_heading()) return check_range(index, s, loc.heading(), 0, 360, "heading ");
      return Status::ok();
    }
  }
  return internal_error("unhandled value type");
}

Status Validator::validate(const wire::Payload& record) const {
  for (int i = 0; i < record.data_size(); ++i) {
    if (Result<const FieldSpec*> s = check_wire(record.data(i), static_cast<size_t>(i)); !s.is_ok()) return s.status();
  }
  if (auto vin = vehicle::validate(record.vin()); !vin.is_ok()) return invalid_argument("vin: " + vin.status().message());
  const int64_t now = clock_();
  const int64_t created_at = record.created_at();
  if (created_at > now + options_.max_clock_skew.count()) {
    return invalid_argument("created_at " + std::to_string(created_at) + " is " + std::to_string(created_at - now) +
                            " ms in the future (allowed skew " + std::to_string(options_.max_clock_skew.count()) + " ms)");
  }
  if (created_at < now - options_.max_age.count()) {
    return invalid_argument("created_at " + std::to_string(created_at) + " is older than the maximum age of " +
                            std::to_string(options_.max_age.count()) + " ms");
  }
  const size_t items = static_cast<size_t>(record.data_size());
  if (items > options_.max_data_items) {
    return invalid_argument("record has " + std::to_string(items) + " data items, at most " +
                            std::to_string(options_.max_data_items) + " are allowed");
  }
  for (int i = 0; i < record.data_size(); ++i) {
    const wire::Datum& d = record.data(i);
    const FieldSpec& s = *find_field(static_cast<uint32_t>(d.field()));  // known: checked above
    if (Status st = validate_datum(static_cast<size_t>(i), s, d); !st.is_ok()) return st;
  }
  return Status::ok();
}

Status Validator::validate(const Record& record) const {
  wire::Payload payload;
  to_payload(record, payload);
  return validate(payload);
}

}  // namespace fleetgate::telemetry
