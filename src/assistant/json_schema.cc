#include "fleetgate/assistant/json_schema.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "fleetgate/assistant/utf8.h"
#include "fleetgate/core/json_text.h"  // json_text: "28" and "21.5" in messages, not "2.8E1"

namespace fleetgate::assistant {

namespace json = boost::json;

namespace {

constexpr std::string_view kKeywords[] = {
    "type",     "enum",     "const",    "minimum",  "maximum",  "exclusiveMinimum", "exclusiveMaximum",
    "minLength", "maxLength", "properties", "required", "additionalProperties", "minProperties", "items",
    "minItems", "maxItems",
    // Annotations: they constrain nothing.
    "description", "title", "default", "examples", "$schema", "$id", "$comment", "deprecated", "readOnly",
    "writeOnly"};

Status instance_error(const std::string& path, std::string_view reason) {
  return invalid_argument(path.empty() ? std::string(reason) : path + ": " + std::string(reason));
}

Status schema_error(const std::string& path, std::string_view reason) {
  return internal_error("schema at '" + path + "': " + std::string(reason));
}

bool is_integer(const json::value& v) {
  if (v.is_int64() || v.is_uint64()) return true;
  if (!v.is_double()) return false;
  double d = v.get_double();
  return d >= -9e18 && d <= 9e18 && d == static_cast<double>(static_cast<int64_t>(d));
}

Result<bool> matches_type(std::string_view type, const json::value& v) {
  if (type == "object") return v.is_object();
  if (type == "string") return v.is_string();
  if (type == "integer") return is_integer(v);
  if (type == "number") return v.is_number();
  if (type == "boolean") return v.is_bool();
  if (type == "array") return v.is_array();
  if (type == "null") return v.is_null();
  return schema_error("", "unsupported type '" + std::string(type) + "'");
}

Status check_keywords(const json::object& schema, const std::string& path) {
  for (const auto& kv : schema) {
    if (std::find(std::begin(kKeywords), std::end(kKeywords), kv.key()) == std::end(kKeywords)) {
      return schema_error(path, "unsupported keyword '" + std::string(kv.key()) + "'");
    }
  }
  if (const json::value* extra = schema.if_contains("additionalProperties"); extra != nullptr && !extra->is_bool()) {
    return schema_error(path, "additionalProperties must be true or false");
  }
  return Status::ok();
}

Status check_enum(const json::value& allowed, const json::value& v, const std::string& path) {
  if (!allowed.is_array()) return schema_error(path, "enum must be an array");
  const json::array& values = allowed.get_array();
  if (std::find(values.begin(), values.end(), v) != values.end()) return Status::ok();
  std::string list;
  for (const json::value& option : values) {
    if (!list.empty()) list += ", ";
    list += option.is_string() ? std::string(option.get_string()) : json_text(option);
  }
  return instance_error(path, "must be one of " + list);
}

Status check_range(const json::object& schema, const json::value& v, const std::string& path) {
  struct Bound {
    std::string_view keyword;
    bool (*fails)(double value, double bound);
    std::string_view reason;
  };
  static constexpr Bound kBounds[] = {
      {"minimum", [](double d, double b) { return d < b; }, "must be at least "},
      {"maximum", [](double d, double b) { return d > b; }, "must be at most "},
      {"exclusiveMinimum", [](double d, double b) { return d <= b; }, "must be more than "},
      {"exclusiveMaximum", [](double d, double b) { return d >= b; }, "must be less than "},
  };
  for (const Bound& bound : kBounds) {
    const json::value* b = schema.if_contains(bound.keyword);
    if (b == nullptr) continue;
    if (!b->is_number()) return schema_error(path, std::string(bound.keyword) + " must be a number");
    if (v.is_number() && bound.fails(v.to_number<double>(), b->to_number<double>())) {
      return instance_error(path, std::string(bound.reason) + json_text(*b));
    }
  }
  return Status::ok();
}

Status check_length(const json::object& schema, const json::value& v, const std::string& path) {
  if (!v.is_string()) return Status::ok();
  size_t length = utf8_count(v.get_string());
  if (const json::value* lo = schema.if_contains("minLength")) {
    if (!lo->is_int64()) return schema_error(path, "minLength must be an integer");
    if (static_cast<int64_t>(length) < lo->get_int64()) {
      return instance_error(path, length == 0 ? "must not be empty" : "must have at least " + json_text(*lo) + " characters");
    }
  }
  if (const json::value* hi = schema.if_contains("maxLength")) {
    if (!hi->is_int64()) return schema_error(path, "maxLength must be an integer");
    if (static_cast<int64_t>(length) > hi->get_int64()) {
      return instance_error(path, "must have at most " + json_text(*hi) + " characters");
    }
  }
  return Status::ok();
}

Status validate_at(const json::value& schema_value, const json::value& v, const std::string& path);

Status check_array(const json::object& schema, const json::value& v, const std::string& path) {
  for (std::string_view keyword : {"minItems", "maxItems"}) {
    if (const json::value* n = schema.if_contains(keyword); n != nullptr && !n->is_int64()) {
      return schema_error(path, std::string(keyword) + " must be an integer");
    }
  }
  if (!v.is_array()) return Status::ok();
  const json::array& a = v.get_array();
  const auto size = static_cast<int64_t>(a.size());
  if (const json::value* lo = schema.if_contains("minItems"); lo != nullptr && size < lo->get_int64()) {
    return instance_error(path, "must have at least " + json_text(*lo) + " items");
  }
  if (const json::value* hi = schema.if_contains("maxItems"); hi != nullptr && size > hi->get_int64()) {
    return instance_error(path, "must have at most " + json_text(*hi) + " items");
  }
  const json::value* items = schema.if_contains("items");
  if (items == nullptr) return Status::ok();
  for (size_t i = 0; i < a.size(); ++i) {
    if (Status s = validate_at(*items, a[i], path + "[" + std::to_string(i) + "]"); !s.is_ok()) return s;
  }
  return Status::ok();
}

// `type` is one name or an array of names; the value must match one of them.
Status check_type(const json::value& type, const json::value& v, const std::string& path) {
  std::vector<std::string_view> names;
  if (type.is_string()) names.push_back(type.get_string());
  if (const json::array* list = type.if_array()) {
    for (const json::value& t : *list) {
      if (!t.is_string()) return schema_error(path, "type must list strings");
      names.push_back(t.get_string());
    }
  }
  if (names.empty()) return schema_error(path, "type must be a string or a non-empty array of strings");
  std::string expected;
  for (std::string_view t : names) {
    auto ok = matches_type(t, v);
    if (!ok) return ok.status();
    if (*ok) return Status::ok();
    expected += expected.empty() ? "" : " or ";
    expected += (t == "integer" || t == "object" || t == "array" ? "an " : "a ") + std::string(t);
  }
  return instance_error(path, "must be " + expected);
}

Status check_object(const json::object& schema, const json::object& o, const std::string& path) {
  static const json::object kNoProperties;
  const json::value* props_value = schema.if_contains("properties");
  if (props_value != nullptr && !props_value->is_object()) return schema_error(path, "properties must be an object");
  const json::object& props = props_value != nullptr ? props_value->get_object() : kNoProperties;
  auto child = [&](std::string_view key) { return path.empty() ? std::string(key) : path + "." + std::string(key); };
  if (const json::value* required = schema.if_contains("required")) {
    if (!required->is_array()) return schema_error(path, "required must be an array");
    for (const json::value& key : required->get_array()) {
      if (!key.is_string()) return schema_error(path, "required must list strings");
      if (!o.contains(key.get_string())) return instance_error(child(key.get_string()), "is required");
    }
  }
  if (const json::value* min = schema.if_contains("minProperties")) {
    if (!min->is_int64()) return schema_error(path, "minProperties must be an integer");
    if (static_cast<int64_t>(o.size()) < min->get_int64()) {
      std::string names;
      for (const auto& kv : props) names += (names.empty() ? "" : ", ") + std::string(kv.key());
      return instance_error(path, "must set at least " + json_text(*min) + " of " + names);
    }
  }
  const json::value* extra = schema.if_contains("additionalProperties");
  const bool closed = extra != nullptr && *extra == false;
  for (const auto& kv : o) {
    const json::value* sub = props.if_contains(kv.key());
    if (sub == nullptr) {
      if (closed) return instance_error(child(kv.key()), "is not a known property");
      continue;
    }
    if (Status s = validate_at(*sub, kv.value(), child(kv.key())); !s.is_ok()) return s;
  }
  return Status::ok();
}

Status validate_at(const json::value& schema_value, const json::value& v, const std::string& path) {
  const json::object* schema = schema_value.if_object();
  if (schema == nullptr) return schema_error(path, "must be an object");
  if (Status s = check_keywords(*schema, path); !s.is_ok()) return s;
  if (const json::value* type = schema->if_contains("type")) {
    if (Status s = check_type(*type, v, path); !s.is_ok()) return s;
  }
  if (const json::value* allowed = schema->if_contains("enum")) {
    if (Status s = check_enum(*allowed, v, path); !s.is_ok()) return s;
  }
  if (const json::value* only = schema->if_contains("const"); only != nullptr && *only != v) {
    return instance_error(path, "must be " + (only->is_string() ? std::string(only->get_string()) : json_text(*only)));
  }
  if (Status s = check_array(*schema, v, path); !s.is_ok()) return s;
  if (Status s = check_range(*schema, v, path); !s.is_ok()) return s;
  if (Status s = check_length(*schema, v, path); !s.is_ok()) return s;
  if (v.is_object()) return check_object(*schema, v.get_object(), path);
  return Status::ok();
}

}  // namespace

Status validate_json(const json::value& schema, const json::value& instance) {
  return validate_at(schema, instance, "");
}

}  // namespace fleetgate::assistant
