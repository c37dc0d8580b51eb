#include "fleetgate/assistant/strict_json.h"

#include <set>
#include <string>
#include <vector>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>

namespace fleetgate::assistant {
namespace {

namespace json = boost::json;
using json::error_code;
using json::string_view;

// A basic_parser handler that only watches keys: one set of seen keys per open object.
struct DuplicateKeyWatch {
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  std::vector<std::set<std::string, std::less<>>> open;
  std::string key;        // the key being read, when it arrives in parts
  std::string duplicate;  // the first key seen twice in one object

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_array_begin(error_code&) { return true; }
  bool on_array_end(std::size_t, error_code&) { return true; }
  bool on_object_begin(error_code&) {
    open.emplace_back();
    return true;
  }
  bool on_object_end(std::size_t, error_code&) {
    open.pop_back();
    return true;
  }
  bool on_string_part(string_view, std::size_t, error_code&) { return true; }
  bool on_string(string_view, std::size_t, error_code&) { return true; }
  bool on_key_part(string_view s, std::size_t, error_code&) {
    key.append(s.data(), s.size());
    return true;
  }
  bool on_key(string_view s, std::size_t, error_code& ec) {
    key.append(s.data(), s.size());
    if (!open.back().insert(key).second) {
      duplicate = key;
      ec = json::error::syntax;  // stops the parser; `duplicate` says why
      return false;
    }
    key.clear();
    return true;
  }
  bool on_number_part(string_view, error_code&) { return true; }
  bool on_int64(std::int64_t, string_view, error_code&) { return true; }
  bool on_uint64(std::uint64_t, string_view, error_code&) { return true; }
  bool on_double(double, string_view, error_code&) { return true; }
  bool on_bool(bool, error_code&) { return true; }
  bool on_null(error_code&) { return true; }
  bool on_comment_part(string_view, error_code&) { return true; }
  bool on_comment(string_view, error_code&) { return true; }
};

}  // namespace

Result<json::value> parse_strict_json(std::string_view text) {
  json::basic_parser<DuplicateKeyWatch> watch{json::parse_options{}};
  error_code ec;
  watch.write_some(false, text.data(), text.size(), ec);
  if (!watch.handler().duplicate.empty()) {
    return invalid_argument("duplicate key '" + watch.handler().duplicate + "'");
  }
  json::value v = json::parse(text, ec);
  if (ec) return invalid_argument("invalid JSON (" + ec.message() + ")");
  return v;
}

}  // namespace fleetgate::assistant
