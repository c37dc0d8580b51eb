#include "fleetgate/vehicle/vehicle_record.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace fleetgate::vehicle {
namespace {

namespace json = boost::json;

json::object stored_fields(const VehicleRecord& r) {
  json::object o;
  o["vin"] = r.vin;
  o["market"] = r.market;
  o["region"] = r.region;
  o["label"] = r.label;
  o["manufacturer"] = r.manufacturer;
  o["wmi"] = r.wmi;
  o["origin_country"] = r.origin_country;
  o["plant_code"] = std::string(1, r.plant_code);
  o["plant"] = r.plant;
  if (r.model_year) {
    o["model_year"] = *r.model_year;
  } else {
    o["model_year"] = nullptr;
  }
  o["check_digit_valid"] = r.check_digit_valid;
  o["registered_ms"] = r.registered_ms;
  o["updated_ms"] = r.updated_ms;
  return o;
}

// Reads fields in turn; the first missing or mistyped one becomes the error.
class FieldReader {
 public:
  explicit FieldReader(const json::object& o) : o_(o) {}

  void string(std::string_view name, std::string* out) {
    const json::value* v = find(name);
    if (v == nullptr) return;
    if (!v->is_string()) return fail(name, "a string");
    *out = v->get_string();
  }
  template <typename T>
  void integer(std::string_view name, T* out) {
    const json::value* v = find(name);
    if (v == nullptr) return;
    boost::system::error_code ec;
    T n = v->to_number<T>(ec);
    if (ec || v->is_double()) return fail(name, "an integer");
    *out = n;
  }
  void boolean(std::string_view name, bool* out) {
    const json::value* v = find(name);
    if (v == nullptr) return;
    if (!v->is_bool()) return fail(name, "a boolean");
    *out = v->get_bool();
  }
  void optional_integer(std::string_view name, std::optional<int>* out) {
    const json::value* v = find(name);
    if (v == nullptr || v->is_null()) return;
    int n = 0;
    integer(name, &n);
    *out = n;
  }
  const std::string& error() const { return error_; }

 private:
  const json::value* find(std::string_view name) {
    if (!error_.empty()) return nullptr;
    const json::value* v = o_.if_contains(name);
    if (v == nullptr) error_ = "field '" + std::string(name) + "' is missing";
    return v;
  }
  void fail(std::string_view name, std::string_view expected) {
    error_ = "field '" + std::string(name) + "' is not " + std::string(expected);
  }

  const json::object& o_;
  std::string error_;
};

}  // namespace

json::object to_json(const VehicleRecord& r) {
  json::object o = stored_fields(r);
  json::array providers;
  for (const auto& p : r.providers) providers.emplace_back(p);
  o["providers"] = std::move(providers);
  return o;
}

std::string encode_record(const VehicleRecord& r) {
  json::object o;
  o["schema"] = kRecordSchemaVersion;
  for (auto& kv : stored_fields(r)) o.insert(std::move(kv));
  return json::serialize(o);
}

Result<VehicleRecord> decode_record(std::string_view stored) {
  boost::system::error_code ec;
  json::value v = json::parse(stored, ec);
  if (ec || !v.is_object()) return data_loss("vehicle record is not a JSON object");
  FieldReader in(v.get_object());
  int schema = 0;
  in.integer("schema", &schema);
  if (in.error().empty() && schema != kRecordSchemaVersion) {
    return data_loss("vehicle record has schema version " + std::to_string(schema) + ", this build reads " +
                     std::to_string(kRecordSchemaVersion));
  }
  VehicleRecord r;
  std::string plant_code;
  in.string("vin", &r.vin);
  in.string("market", &r.market);
  in.string("region", &r.region);
  in.string("label", &r.label);
  in.string("manufacturer", &r.manufacturer);
  in.string("wmi", &r.wmi);
  in.string("origin_country", &r.origin_country);
  in.string("plant_code", &plant_code);
  in.string("plant", &r.plant);
  in.optional_integer("model_year", &r.model_year);
  in.boolean("check_digit_valid", &r.check_digit_valid);
  in.integer("registered_ms", &r.registered_ms);
  in.integer("updated_ms", &r.updated_ms);
  if (!in.error().empty()) return data_loss("vehicle record: " + in.error());
  if (plant_code.size() != 1) return data_loss("vehicle record: field 'plant_code' is not one character");
  r.plant_code = plant_code[0];
  return r;
}

}  // namespace fleetgate::vehicle
