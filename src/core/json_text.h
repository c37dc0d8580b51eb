// JSON text with numbers as people write them, both ways. Boost.JSON 1.81 reads some decimals one
// or more ulps off (422.13294228321837 became 422.1329422832184) and writes doubles in exponent
// form ("4.2E1"); everything that reads JSON numbers from clients or writes them for people and
// other programs goes through these two functions instead.
#pragma once

#include <boost/json/value.hpp>
#include <string>
#include <string_view>
#include <system_error>

namespace fleetgate {

// Parses one JSON document (standard JSON, as boost::json::parse). Every number with a fraction or
// an exponent, and every integer beyond uint64, becomes the double nearest its decimal value.
// On malformed text sets `ec` and returns null.
boost::json::value parse_json(std::string_view text, std::error_code& ec);

// The shortest decimal that reads back as `d`, without an exponent for 1e-6 <= |d| < 1e21 (as
// JavaScript writes numbers): "121.475", "42", "0.000001", "1e+21", "1e-07". "null" when not
// finite (JSON has no infinity or NaN).
std::string json_number(double d);

// The JSON text of `v`: as boost::json::serialize writes it, except doubles as json_number.
std::string json_text(const boost::json::value& v);

}  // namespace fleetgate
