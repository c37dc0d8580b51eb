// The parameters of a function definition (an app's tool) as leaves: every property that is not
// an object, found through nested objects, with its path, schema, whether a call must give it
// (it and every object above it are required), and its words, fold_case()d for keywords.h.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

namespace fleetgate::assistant {

struct Parameter {
  std::vector<std::string> path;           // {"position", "fraction"} for a nested property
  const boost::json::object* schema = nullptr;  // points into the definition's parameters
  bool required = false;
  std::string type;                        // "number", "integer", "string", "boolean", "array", "" (none given)
  std::string name_words;                  // "temp f" for "temp_f"
  std::string words;                       // the path's words ("position fraction"), title, description
  std::vector<std::string> enum_values;    // the string values of `enum` (or `const`), as given
  std::string dotted() const;              // "position.fraction"
};

// The leaves of an object schema, in property order, at most 8 objects deep (deeper ones are
// left out). A schema that is not an object schema has none.
std::vector<Parameter> parameters_of(const boost::json::object& schema);

// An identifier as fold_case()d words: "setCabinTemperature" -> "set cabin temperature",
// "vehicle.windows.open" -> "vehicle windows open", "ACTemp" -> "ac temp", "打开尾门" unchanged.
std::string identifier_words(std::string_view name);

}  // namespace fleetgate::assistant
