#include "fleetgate/telemetry/json_format.h"

#include <google/protobuf/util/json_util.h>

#include <boost/json.hpp>
#include <cmath>
#include <limits>

#include "fleetgate/core/json_text.h"
#include "fleetgate/telemetry/proto/telemetry.pb.h"
#include "fleetgate/telemetry/proto_format.h"

namespace fleetgate::telemetry {
namespace json = boost::json;
namespace {

constexpr double kTwoPow63 = 9223372036854775808.0;

Status bad(std::string_view where, std::string_view what) { return invalid_argument(std::string(where) + ": " + std::string(what)); }

std::optional<double> as_double(const json::value& v) {
  if (v.is_double()) return v.get_double();
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  return std::nullopt;
}

// A JSON number as the Value the field expects, when that conversion is exact.
Value number_value(const json::value& v, ValueType expected) {
  if (expected == ValueType::kDouble) return *as_double(v);
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64()) {
    if (v.get_uint64() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return static_cast<int64_t>(v.get_uint64());
    return static_cast<double>(v.get_uint64());
  }
  double d = v.get_double();
  if (expected == ValueType::kInt && std::trunc(d) == d && d >= -kTwoPow63 && d < kTwoPow63) return static_cast<int64_t>(d);
  return d;
}

Result<Location> location_value(const json::object& o, const std::string& at) {
  Location loc;
  bool has_lat = false, has_lon = false;
  for (const auto& [key, v] : o) {
    auto n = as_double(v);
    if (!n) return bad(at + "." + std::string(key), "must be a number");
    if (key == "lat") {
      loc.lat = *n;
      has_lat = true;
    } else if (key == "lon") {
      loc.lon = *n;
      has_lon = true;
    } else if (key == "heading") {
      loc.heading = *n;
    } else {
      return bad(at, "unknown key '" + std::string(key) + "' (expected lat, lon, heading)");
    }
  }
  if (!has_lat || !has_lon) return bad(at, "a location needs lat and lon");
  return loc;
}

Result<Datum> datum_value(const json::value& item, size_t index) {
  const std::string at = "data[" + std::to_string(index) + "]";
  const json::object* o = item.if_object();
  if (o == nullptr) return bad(at, "must be an object");
  const json::value* field = nullptr;
  const json::value* value = nullptr;
  for (const auto& [key, v] : *o) {
    if (key == "field") {
      field = &v;
    } else if (key == "value") {
      value = &v;
    } else {
      return bad(at, "unknown key '" + std::string(key) + "' (expected field, value)");
    }
  }
  if (field == nullptr || !field->is_string()) return bad(at + ".field", "missing or not a string");
  const FieldSpec* s = find_field(std::string_view(field->get_string()));
  if (s == nullptr) return bad(at + ".field", "unknown field '" + std::string(field->get_string().subview(0, 64)) + "'");
  if (value == nullptr) return bad(at + ".value", "missing");
  switch (value->kind()) {
    case json::kind::string: return Datum{s->field, std::string(value->get_string())};
    case json::kind::bool_: return Datum{s->field, value->get_bool()};
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: return Datum{s->field, number_value(*value, s->type)};
    case json::kind::object: {
      auto loc = location_value(value->get_object(), at + ".value");
      if (!loc) return loc.status();
      return Datum{s->field, *loc};
    }
    case json::kind::null:
    case json::kind::array: break;
  }
  return bad(at + ".value", "must be a string, number, bool or location object");
}

bool is_datum_value_member(std::string_view key) {
  const google::protobuf::OneofDescriptor* value = wire::Datum::descriptor()->FindOneofByName("value");
  for (int i = 0; i < value->field_count(); ++i) {
    if (key == value->field(i)->name() || key == value->field(i)->json_name()) return true;
  }
  return false;
}

// Protobuf libraries write a wire.Payload with created_at as "createdAt", 64-bit integers as
// strings and a datum's value under its oneof member ("doubleValue", or "double_value" when they
// keep proto names); the short form does none of these.
bool in_proto3_mapping(const json::object& frame) {
  if (frame.contains("createdAt")) return true;
  for (const char* integer : {"created_at", "seq"}) {
    if (const json::value* v = frame.if_contains(integer); v != nullptr && v->is_string()) return true;
  }
  const json::value* data = frame.if_contains("data");
  if (data == nullptr || !data->is_array()) return false;
  for (const json::value& item : data->get_array()) {
    if (!item.is_object()) continue;
    for (const auto& member : item.get_object()) {
      if (is_datum_value_member(member.key())) return true;
    }
  }
  return false;
}

// Protobuf's own parser reads the mapping exactly as generated code writes it (either name of a
// field, enum names or numbers, integers as strings or numbers); unknown keys are refused.
Result<Record> decode_proto3_json(std::string_view text) {
  wire::Payload payload;
  const google::protobuf::util::Status s = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(text.data(), text.size()), &payload, google::protobuf::util::JsonParseOptions{});
  if (!s.ok()) return invalid_argument("JSON frame in the proto3 mapping: " + std::string(s.message()));
  return decode_payload(payload);
}

}  // namespace

Result<Record> decode_json(std::string_view text) {
  std::error_code ec;
  json::value root = parse_json(text, ec);
  if (ec) return invalid_argument("malformed JSON frame: " + ec.message());
  const json::object* o = root.if_object();
  if (o == nullptr) return invalid_argument("a JSON frame must be an object");
  if (in_proto3_mapping(*o)) return decode_proto3_json(text);
  Record r;
  bool has_vin = false, has_created = false, has_seq = false, has_data = false;
  for (const auto& [key, v] : *o) {
    if (key == "vin") {
      if (!v.is_string()) return bad("vin", "must be a string");
      r.vin = std::string(v.get_string());
      has_vin = true;
    } else if (key == "created_at") {
      if (!v.is_int64()) return bad("created_at", "must be an integer of milliseconds since the Unix epoch");
      r.created_at_ms = v.get_int64();
      has_created = true;
    } else if (key == "seq") {
      if (v.is_int64() && v.get_int64() >= 0) {
        r.seq = static_cast<uint64_t>(v.get_int64());
      } else if (v.is_uint64()) {
        r.seq = v.get_uint64();
      } else {
        return bad("seq", "must be a non-negative integer");
      }
      has_seq = true;
    } else if (key == "data") {
      const json::array* items = v.if_array();
      if (items == nullptr) return bad("data", "must be an array");
      r.data.reserve(items->size());
      for (size_t i = 0; i < items->size(); ++i) {
        auto d = datum_value((*items)[i], i);
        if (!d) return d.status();
        r.data.push_back(std::move(d).value());
      }
      has_data = true;
    } else {
      return invalid_argument("unknown key '" + std::string(key.substr(0, 64)) + "' (expected vin, created_at, seq, data)");
    }
  }
  if (!has_vin || !has_created || !has_seq || !has_data) {
    return invalid_argument("a JSON frame needs vin, created_at, seq and data");
  }
  return r;
}

json::object to_json(const Record& record) {
  json::array data;
  data.reserve(record.data.size());
  for (const Datum& d : record.data) {
    json::value value = std::visit(
        [](const auto& v) -> json::value {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, Location>) {
            json::object loc{{"lat", v.lat}, {"lon", v.lon}};
            if (v.heading) loc["heading"] = *v.heading;
            return loc;
          } else {
            return json::value(v);
          }
        },
        d.value);
    data.push_back(json::object{{"field", spec(d.field).name}, {"value", std::move(value)}});
  }
  return json::object{{"vin", record.vin}, {"created_at", record.created_at_ms}, {"seq", record.seq}, {"data", std::move(data)}};
}

std::string encode_json(const Record& record) { return json_text(to_json(record)); }

}  // namespace fleetgate::telemetry
