// Test support for fault tests that stream `fleetgate sim run --acked FILE` at a node: every
// acknowledged record looked up through a node (present, and stored exactly once).
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <cstdint>
#include <map>
#include <string>

#include "fleetgate/http/test_client.h"
#include "support/acked_log.h"

namespace fleetgate::testing {

// Every record of `vin` the node on `port` returns to `token`, by seq: how often each is stored.
inline std::map<uint64_t, int> stored_seqs(uint16_t port, const std::string& token, const std::string& vin) {
  http::testing::TestClient client("127.0.0.1", port);
  auto r = client.get("/v1/telemetry/" + vin + "?limit=10000", {{"Authorization", "Bearer " + token}});
  std::map<uint64_t, int> out;
  EXPECT_TRUE(r.is_ok()) << r.status().to_string();
  if (!r.is_ok()) return out;
  EXPECT_EQ(r->status, 200u) << r->body;
  if (r->status != 200) return out;
  const boost::json::object page = boost::json::parse(r->body).as_object();
  EXPECT_TRUE(page.at("next_cursor").is_null()) << "all of " << vin << " on one page";
  for (const boost::json::value& record : page.at("records").as_array()) ++out[record.at("seq").to_number<uint64_t>()];
  return out;
}

// Each record of `log` is readable through the node on `port` (as `token`), and no record of those
// vehicles is stored twice.
inline void expect_acked_stored_once(uint16_t port, const std::string& token, const AckedLog& log) {
  for (const auto& [car, seqs] : log.seqs) {
    const std::map<uint64_t, int> stored = stored_seqs(port, token, car);
    for (const auto& [s, times] : stored) EXPECT_EQ(times, 1) << car << " seq " << s << " is stored " << times << " times";
    for (uint64_t s : seqs) EXPECT_TRUE(stored.contains(s)) << car << " seq " << s << " was acknowledged but is not stored";
  }
}

}  // namespace fleetgate::testing
