#include "fleetgate/core/json_text.h"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_stack.hpp>

#include <array>
#include <charconv>
#include <cmath>

namespace fleetgate {
namespace json = boost::json;
namespace {

// boost::json::parser's handler, except that a double is read again from its text with
// std::from_chars, which rounds correctly where Boost.JSON 1.81's own conversion does not.
struct ExactNumbersHandler {
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  json::value_stack stack;
  std::string number;  // the text of the number being read, when the parser hands it over in parts

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) { return true; }
  bool on_object_end(std::size_t n, json::error_code&) {
    stack.push_object(n);
    return true;
  }
  bool on_array_begin(json::error_code&) { return true; }
  bool on_array_end(std::size_t n, json::error_code&) {
    stack.push_array(n);
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    stack.push_chars(s);
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code&) {
    stack.push_key(s);
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    stack.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    stack.push_string(s);
    return true;
  }
  bool on_number_part(json::string_view s, json::error_code&) {
    number.append(s.data(), s.size());
    return true;
  }
  bool on_int64(std::int64_t i, json::string_view, json::error_code&) {
    number.clear();
    stack.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, json::string_view, json::error_code&) {
    number.clear();
    stack.push_uint64(u);
    return true;
  }
  bool on_double(double d, json::string_view s, json::error_code&) {
    number.append(s.data(), s.size());
    double exact = 0;
    const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), exact);
    // Out of range (|d| beyond DBL_MAX, or below the smallest subnormal): Boost's infinity or zero.
    stack.push_double(ec == std::errc() && end == number.data() + number.size() ? exact : d);
    number.clear();
    return true;
  }
  bool on_bool(bool b, json::error_code&) {
    stack.push_bool(b);
    return true;
  }
  bool on_null(json::error_code&) {
    stack.push_null();
    return true;
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }
};

void append_text(const json::value& v, std::string& out) {
  switch (v.kind()) {
    case json::kind::double_: out += json_number(v.get_double()); return;
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const json::value& item : v.get_array()) {
        if (!first) out += ',';
        first = false;
        append_text(item, out);
      }
      out += ']';
      return;
    }
    case json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& kv : v.get_object()) {
        if (!first) out += ',';
        first = false;
        out += json::serialize(kv.key());
        out += ':';
        append_text(kv.value(), out);
      }
      out += '}';
      return;
    }
    default: out += json::serialize(v); return;
  }
}

}  // namespace

json::value parse_json(std::string_view text, std::error_code& ec) {
  json::basic_parser<ExactNumbersHandler> parser(json::parse_options{});
  parser.handler().stack.reset();
  json::error_code jec;
  const std::size_t used = parser.write_some(false, text.data(), text.size(), jec);
  if (!jec && used < text.size()) jec = json::error::extra_data;
  if (jec) {
    ec = jec;
    return nullptr;
  }
  ec.clear();
  return parser.handler().stack.release();
}

std::string json_number(double d) {
  if (!std::isfinite(d)) return "null";
  const double magnitude = std::abs(d);
  const auto format = d == 0 || (magnitude >= 1e-6 && magnitude < 1e21) ? std::chars_format::fixed
                                                                       : std::chars_format::scientific;
  // Fixed notation of a double below 1e21 needs at most 21 digits before the point, and shortest
  // round-trip needs at most 17 significant digits after six leading zeros.
  std::array<char, 64> buffer;
  const auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), d, format);
  return std::string(buffer.data(), ec == std::errc() ? end : buffer.data());
}

std::string json_text(const json::value& v) {
  std::string out;
  append_text(v, out);
  return out;
}

}  // namespace fleetgate
