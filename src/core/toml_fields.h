// Readers for typed TOML config files that point every error at "FILE:LINE: KEY: reason".
// The field readers throw FieldError; parse_toml() runs a whole document parse and turns that
// (and toml11's own syntax errors) into one kInvalidArgument Status, so nothing escapes a file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <istream>
#include <string>
#include <string_view>
#include <toml.hpp>

#include "fleetgate/core/config.h"
#include "fleetgate/core/result.h"

namespace fleetgate::config::toml_fields {

using TomlValue = toml::value;

// Thrown by the readers below; caught only by parse_toml().
struct FieldError {
  std::string message;
};

SourceRef ref_of(const TomlValue& v, std::string key);
[[noreturn]] void fail(const SourceRef& where, const std::string& reason);

// `key` is the dotted path of `table` ("" for the root).
void reject_unknown_keys(const TomlValue& table, const std::string& key,
                         std::initializer_list<std::string_view> allowed);
const TomlValue* optional_field(const TomlValue& table, const std::string& k);
const TomlValue& required_field(const TomlValue& table, const std::string& table_key, const std::string& k);

std::string as_string(const TomlValue& v, const std::string& key);
std::string as_nonempty_string(const TomlValue& v, const std::string& key);
int64_t as_int_in(const TomlValue& v, const std::string& key, int64_t lo, int64_t hi);
// An integer or a float, within [lo, hi].
double as_number_in(const TomlValue& v, const std::string& key, double lo, double hi);
const toml::array& as_array(const TomlValue& v, const std::string& key);
const TomlValue& as_table(const TomlValue& v, const std::string& key);

// Parses `in` as TOML named `source` and hands the root to `parse`. kInvalidArgument with a
// one-line "FILE:LINE: ..." message for syntax errors and for FieldErrors `parse` throws.
Status parse_toml(std::istream& in, const std::filesystem::path& source,
                  const std::function<void(const TomlValue&)>& parse);

}  // namespace fleetgate::config::toml_fields
