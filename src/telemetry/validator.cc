#include "fleetgate/telemetry/validator.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

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

}  // namespace

int64_t system_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

Status Validator::validate_datum(size_t index, const Datum& d) const {
  const FieldSpec& s = spec(d.field);
  if (value_type(d.value) != s.type) {
    return invalid_argument(where(index, s) + "expected a " + std::string(to_string(s.type)) + " value, got a " +
                            std::string(to_string(value_type(d.value))));
  }
  switch (s.type) {
    case ValueType::kString: {
      const auto& v = std::get<std::string>(d.value);
      if (std::find(s.allowed.begin(), s.allowed.end(), v) != s.allowed.end()) return Status::ok();
      std::string list;
      for (auto a : s.allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      return invalid_argument(where(index, s) + "'" + v.substr(0, 32) + "' is not one of " + list);
    }
    case ValueType::kInt: return check_range(index, s, static_cast<double>(std::get<int64_t>(d.value)), s.min, s.max);
    case ValueType::kDouble: return check_range(index, s, std::get<double>(d.value), s.min, s.max);
    case ValueType::kBool: return Status::ok();
    case ValueType::kLocation: {
      const auto& loc = std::get<Location>(d.value);
      if (Status st = check_range(index, s, loc.lat, -90, 90, "lat "); !st.is_ok()) return st;
      if (Status st = check_range(index, s, loc.lon, -180, 180, "lon "); !st.is_ok()) return st;
      if (loc.heading) return check_range(index, s, *loc.heading, 0, 360, "heading ");
      return Status::ok();
    }
  }
  return internal_error("unhandled value type");
}

Status Validator::validate(const Record& record) const {
  if (auto vin = vehicle::validate(record.vin); !vin.is_ok()) return invalid_argument("vin: " + vin.status().message());
  const int64_t now = clock_();
  if (record.created_at_ms > now + options_.max_clock_skew.count()) {
    return invalid_argument("created_at " + std::to_string(record.created_at_ms) + " is " +
                            std::to_string(record.created_at_ms - now) + " ms in the future (allowed skew " +
                            std::to_string(options_.max_clock_skew.count()) + " ms)");
  }
  if (record.created_at_ms < now - options_.max_age.count()) {
    return invalid_argument("created_at " + std::to_string(record.created_at_ms) + " is older than the maximum age of " +
                            std::to_string(options_.max_age.count()) + " ms");
  }
  if (record.data.size() > options_.max_data_items) {
    return invalid_argument("record has " + std::to_string(record.data.size()) + " data items, at most " +
                            std::to_string(options_.max_data_items) + " are allowed");
  }
  for (size_t i = 0; i < record.data.size(); ++i) {
    if (Status s = validate_datum(i, record.data[i]); !s.is_ok()) return s;
  }
  return Status::ok();
}

}  // namespace fleetgate::telemetry
