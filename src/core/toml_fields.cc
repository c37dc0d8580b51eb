#include "fleetgate/core/toml_fields.h"

#include <algorithm>

namespace fleetgate::config::toml_fields {
namespace {

// toml11 reports over several lines ("[error] toml::parser_fn: reason" then an underline);
// keep the reason so CLI errors stay on one line.
std::string first_line_reason(const std::string& what) {
  std::string line = what.substr(0, what.find('\n'));
  if (line.rfind("[error] ", 0) == 0) line.erase(0, 8);
  if (line.rfind("toml::", 0) == 0) {
    auto colon = line.find(": ");
    if (colon != std::string::npos) line.erase(0, colon + 2);
  }
  return line;
}

}  // namespace

SourceRef ref_of(const TomlValue& v, std::string key) {
  const auto loc = v.location();
  return SourceRef{loc.file_name(), static_cast<uint32_t>(loc.line()), std::move(key)};
}

void fail(const SourceRef& where, const std::string& reason) { throw FieldError{where.describe() + ": " + reason}; }

void reject_unknown_keys(const TomlValue& table, const std::string& key,
                         std::initializer_list<std::string_view> allowed) {
  for (const auto& [k, v] : table.as_table()) {
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      fail(ref_of(v, key.empty() ? k : key + "." + k), "unknown key");
    }
  }
}

const TomlValue* optional_field(const TomlValue& table, const std::string& k) {
  const auto& t = table.as_table();
  auto it = t.find(k);
  return it == t.end() ? nullptr : &it->second;
}

const TomlValue& required_field(const TomlValue& table, const std::string& table_key, const std::string& k) {
  const TomlValue* v = optional_field(table, k);
  if (v == nullptr) fail(ref_of(table, table_key), "missing required key '" + k + "'");
  return *v;
}

std::string as_string(const TomlValue& v, const std::string& key) {
  if (!v.is_string()) fail(ref_of(v, key), "expected a string");
  return v.as_string().str;
}

std::string as_nonempty_string(const TomlValue& v, const std::string& key) {
  std::string s = as_string(v, key);
  if (s.empty()) fail(ref_of(v, key), "must not be empty");
  return s;
}

int64_t as_int_in(const TomlValue& v, const std::string& key, int64_t lo, int64_t hi) {
  if (!v.is_integer()) fail(ref_of(v, key), "expected an integer");
  int64_t i = v.as_integer();
  if (i < lo || i > hi) {
    fail(ref_of(v, key), "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  }
  return i;
}

const toml::array& as_array(const TomlValue& v, const std::string& key) {
  if (!v.is_array()) fail(ref_of(v, key), "expected an array");
  return v.as_array();
}

const TomlValue& as_table(const TomlValue& v, const std::string& key) {
  if (!v.is_table()) fail(ref_of(v, key), "expected a table");
  return v;
}

Status parse_toml(std::istream& in, const std::filesystem::path& source,
                  const std::function<void(const TomlValue&)>& parse) {
  try {
    TomlValue root = toml::parse(in, source.string());
    parse(root);
    return Status::ok();
  } catch (const FieldError& e) {
    return invalid_argument(e.message);
  } catch (const toml::syntax_error& e) {
    const auto loc = e.location();
    return invalid_argument(loc.file_name() + ":" + std::to_string(loc.line()) +
                            ": syntax error: " + first_line_reason(e.what()));
  } catch (const std::exception& e) {
    return invalid_argument(source.string() + ": " + first_line_reason(e.what()));
  }
}

}  // namespace fleetgate::config::toml_fields
