#include "fleetgate/transfer/json_reader.h"

#include <boost/json.hpp>

namespace fleetgate::transfer::detail {

namespace json = boost::json;

json::array to_json_array(const std::vector<std::string>& items) {
  json::array a;
  for (const auto& s : items) a.emplace_back(s);
  return a;
}

void JsonReader::fail(std::string_view key, std::string_view problem) {
  if (problem_.empty()) problem_ = context_ + ": '" + std::string(key) + "' " + std::string(problem);
}

Status JsonReader::status() const { return problem_.empty() ? Status::ok() : Status(code_, problem_); }

const json::value* JsonReader::member(std::string_view key, bool optional, std::string_view expected) {
  const json::value* v = o_.if_contains(key);
  if (v == nullptr && !optional) fail(key, "is required (" + std::string(expected) + ")");
  return v;
}

std::string JsonReader::text(std::string_view key, bool optional) {
  const json::value* v = member(key, optional, "a string");
  if (v == nullptr) return {};
  if (!v->is_string()) {
    fail(key, "must be a string");
    return {};
  }
  return std::string(v->as_string());
}

int64_t JsonReader::integer(std::string_view key, bool optional) {
  const json::value* v = member(key, optional, "an integer");
  if (v == nullptr) return 0;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64() && v->as_uint64() <= static_cast<uint64_t>(INT64_MAX)) return static_cast<int64_t>(v->as_uint64());
  fail(key, "must be an integer");
  return 0;
}

uint64_t JsonReader::count(std::string_view key, bool optional) {
  const int64_t n = integer(key, optional);
  if (n >= 0) return static_cast<uint64_t>(n);
  fail(key, "must not be negative");
  return 0;
}

std::vector<std::string> JsonReader::strings(std::string_view key, bool optional) {
  std::vector<std::string> out;
  const json::value* v = member(key, optional, "an array of strings");
  if (v == nullptr) return out;
  if (v->is_array()) {
    for (const auto& item : v->as_array()) {
      if (!item.is_string()) break;
      out.emplace_back(item.as_string());
    }
    if (out.size() == v->as_array().size()) return out;
  }
  fail(key, "must be an array of strings");
  return {};
}

std::map<std::string, std::string> JsonReader::string_map(std::string_view key) {
  std::map<std::string, std::string> out;
  const json::object* o = object(key);
  if (o == nullptr) return out;
  for (const auto& [k, item] : *o) {
    if (!item.is_string()) {
      fail(key, "must map names to strings");
      return {};
    }
    out.emplace(std::string(k), std::string(item.as_string()));
  }
  return out;
}

const json::object* JsonReader::object(std::string_view key) {
  const json::value* v = member(key, false, "an object");
  if (v == nullptr) return nullptr;
  if (!v->is_object()) {
    fail(key, "must be an object");
    return nullptr;
  }
  return &v->as_object();
}

}  // namespace fleetgate::transfer::detail
