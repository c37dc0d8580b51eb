// Internal to the transfer module: typed reads of JSON object members that remember the first
// missing or mistyped key, so a parser reads every member and reports one clear error.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fleetgate/core/result.h"

namespace fleetgate::transfer::detail {

boost::json::array to_json_array(const std::vector<std::string>& items);

class JsonReader {
 public:
  // Errors carry `code` and start with `context` (e.g. "manifest").
  JsonReader(const boost::json::object& o, Code code, std::string context)
      : o_(o), code_(code), context_(std::move(context)) {}

  // Members marked optional yield the default when absent (but still fail when mistyped).
  std::string text(std::string_view key, bool optional = false);
  int64_t integer(std::string_view key, bool optional = false);
  uint64_t count(std::string_view key, bool optional = false);  // a non-negative integer
  std::vector<std::string> strings(std::string_view key, bool optional = false);
  std::map<std::string, std::string> string_map(std::string_view key);
  // The member as an object, nullptr (and an error) when absent or not an object.
  const boost::json::object* object(std::string_view key);

  // Records a problem of meaning found by the caller.
  void fail(std::string_view key, std::string_view problem);
  // OK, or the first problem.
  Status status() const;

 private:
  const boost::json::value* member(std::string_view key, bool optional, std::string_view expected);

  const boost::json::object& o_;
  Code code_;
  std::string context_;
  std::string problem_;
};

}  // namespace fleetgate::transfer::detail
