#include "fleetgate/core/config_changes.h"

#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "fleetgate/core/toml_fields.h"

namespace fleetgate::config {
namespace {

using toml_fields::TomlValue;

Result<TomlValue> parse(std::string_view text, const char* name) {
  std::istringstream in{std::string(text)};
  TomlValue root;
  Status s = toml_fields::parse_toml(in, name, [&](const TomlValue& v) { root = v; });
  if (!s.is_ok()) return s;
  return root;
}

std::string shown(const TomlValue& v) {
  std::ostringstream out;
  out << toml::format(v, 0);
  std::string text = out.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// The "id" of each element when `v` is an array of tables that all have a distinct string id.
std::optional<std::map<std::string, const TomlValue*>> by_id(const TomlValue& v) {
  if (!v.is_array()) return std::nullopt;
  std::map<std::string, const TomlValue*> out;
  for (const TomlValue& e : v.as_array()) {
    if (!e.is_table() || !e.contains("id") || !e.at("id").is_string()) return std::nullopt;
    if (!out.emplace(e.at("id").as_string().str, &e).second) return std::nullopt;
  }
  return out;
}

template <typename Map>
std::set<std::string> keys_of(const Map& a, const Map& b) {
  std::set<std::string> keys;
  for (const auto& [k, v] : a) keys.insert(k);
  for (const auto& [k, v] : b) keys.insert(k);
  return keys;
}

void compare(const std::string& key, const TomlValue& before, const TomlValue& after, bool descend,
             std::vector<std::string>& out) {
  if (before == after) return;
  auto ids_before = by_id(before);
  auto ids_after = by_id(after);
  if (ids_before && ids_after) {
    for (const std::string& id : keys_of(*ids_before, *ids_after)) {
      auto b = ids_before->find(id);
      auto a = ids_after->find(id);
      if (b == ids_before->end()) out.push_back(key + " " + id + " added");
      else if (a == ids_after->end()) out.push_back(key + " " + id + " removed");
      else if (!(*b->second == *a->second)) out.push_back(key + " " + id + " changed");
    }
    return;
  }
  if (descend && before.is_table() && after.is_table()) {
    const auto& tb = before.as_table();
    const auto& ta = after.as_table();
    for (const std::string& k : keys_of(tb, ta)) {
      auto b = tb.find(k);
      auto a = ta.find(k);
      const std::string name = key + "." + k;
      if (b == tb.end()) out.push_back(name + " added: " + shown(a->second));
      else if (a == ta.end()) out.push_back(name + " removed");
      else compare(name, b->second, a->second, false, out);
    }
    return;
  }
  if (!before.is_table() && !after.is_table() && !before.is_array() && !after.is_array()) {
    out.push_back(key + ": " + shown(before) + " -> " + shown(after));
    return;
  }
  out.push_back(key + " changed");
}

}  // namespace

Result<std::vector<std::string>> toml_changes(std::string_view before, std::string_view after) {
  auto b = parse(before, "before");
  if (!b.is_ok()) return b.status();
  auto a = parse(after, "after");
  if (!a.is_ok()) return a.status();
  std::vector<std::string> out;
  const auto& tb = b->as_table();
  const auto& ta = a->as_table();
  for (const std::string& k : keys_of(tb, ta)) {
    auto ib = tb.find(k);
    auto ia = ta.find(k);
    if (ib == tb.end()) out.push_back(k + " added");
    else if (ia == ta.end()) out.push_back(k + " removed");
    else compare(k, ib->second, ia->second, true, out);
  }
  return out;
}

}  // namespace fleetgate::config
