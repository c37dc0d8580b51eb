// libFuzzer target: the parsing the server does itself on top of Beast (which frames HTTP heads,
// bodies and WebSocket messages): splitting the request target into path and query, routing with
// percent-decoded path parameters, query parameters, and the bearer token of the Authorization
// header. Input parts (fuzz_input.h): the request target, the Authorization header value.
// Properties: a found route's parameters are non-empty and read the same after percent-encoding;
// a bearer token lies inside its header, without surrounding spaces.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "fleetgate/http/router.h"
#include "fuzz_input.h"

namespace {

using namespace fleetgate::http;

const Router& router() {
  static const Router r = [] {
    Router out;
    for (const char* pattern : {"/v1/telemetry/{vin}", "/v1/vehicles/{vin}/state", "/v1/vehicles/{vin}/token",
                                "/v1/ledger/statements/{period}/{partner}", "/v1/transfers/{id}/approve",
                                "/v1/artifacts/{name...}", "/v1/chat/completions", "/v1/vehicles"}) {
      if (!out.add(Route{Verb::get, pattern, RouteOptions::public_access(), Handler{}}).is_ok()) __builtin_trap();
    }
    return out;
  }();
  return r;
}

std::string percent_encode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    char escape[4];
    std::snprintf(escape, sizeof escape, "%%%02X", c);
    out += escape;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fleetgate::fuzz::FuzzInput input(data, size);
  Request::Message message;
  message.method(Verb::get);
  message.target(std::string(input.part()));
  const std::string_view authorization = input.part();
  message.set(boost::beast::http::field::authorization, std::string(authorization));
  const Request request(std::move(message));

  const Router::Match match = router().find(Verb::get, request.path());
  if (match.outcome == Router::Outcome::kFound) {
    if (match.route == nullptr) __builtin_trap();
    for (const auto& [name, value] : match.params) {
      if (value.empty()) __builtin_trap();
      const auto again = percent_decode(percent_encode(value));
      if (!again || *again != value) __builtin_trap();
    }
  }
  for (const char* name : {"from", "to", "fields", "limit", "batch"}) (void)request.query_param(name);
  const std::string_view token = bearer_token(request);
  if (!token.empty() && (token.front() == ' ' || token.back() == ' ' || authorization.find(token) == std::string_view::npos)) {
    __builtin_trap();
  }
  return 0;
}
