#include "fleetgate/core/toml_fields.h"

#include <algorithm>
#include <iterator>
#include <sstream>

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

double as_number_in(const TomlValue& v, const std::string& key, double lo, double hi) {
  if (!v.is_integer() && !v.is_floating()) fail(ref_of(v, key), "expected a number");
  const double d = v.is_integer() ? static_cast<double>(v.as_integer()) : v.as_floating();
  if (!(d >= lo && d <= hi)) {
    std::ostringstream reason;
    reason << "must be between " << lo << " and " << hi;
    fail(ref_of(v, key), reason.str());
  }
  return d;
}

const toml::array& as_array(const TomlValue& v, const std::string& key) {
  if (!v.is_array()) fail(ref_of(v, key), "expected an array");
  return v.as_array();
}

const TomlValue& as_table(const TomlValue& v, const std::string& key) {
  if (!v.is_table()) fail(ref_of(v, key), "expected a table");
  return v;
}

namespace {

// The 1-based line of the first byte that is not well-formed UTF-8, 0 when all of it is.
// TOML documents are UTF-8, and toml11 3.7 overflows a buffer reporting some invalid sequences
// (found by config_fuzz), so malformed text never reaches it.
size_t first_bad_utf8_line(std::string_view text) {
  size_t line = 1;
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') ++line;
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > text.size()) return line;
    uint32_t cp = len == 1 ? c : c & (0x7F >> len);
    for (size_t k = 1; k < len; ++k) {
      const auto cont = static_cast<unsigned char>(text[i + k]);
      if ((cont & 0xC0) != 0x80) return line;
      cp = (cp << 6) | (cont & 0x3F);
    }
    const bool overlong = (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
    if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return line;
    i += len;
  }
  return 0;
}

}  // namespace

Status parse_toml(std::istream& in, const std::filesystem::path& source,
                  const std::function<void(const TomlValue&)>& parse) {
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (size_t line = first_bad_utf8_line(text); line != 0) {
    return invalid_argument(source.string() + ":" + std::to_string(line) + ": syntax error: invalid UTF-8 (TOML files are UTF-8)");
  }
  std::istringstream checked(std::move(text));
  try {
    TomlValue root = toml::parse(checked, source.string());
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
