// For assistant tests: a chat request to the on-board engine, parsed as the gateway parses one.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "fleetgate/assistant/chat.h"

namespace fleetgate::assistant {

// {"model":"fleetgate-onboard","messages":messages} plus the top-level fields of `extra`.
inline ChatRequest onboard_request(boost::json::array messages, boost::json::object extra = {}) {
  boost::json::object body{{"model", "fleetgate-onboard"}, {"messages", std::move(messages)}};
  for (const auto& kv : extra) body[kv.key()] = kv.value();
  auto r = parse_chat_request(std::move(body));
  EXPECT_TRUE(r.is_ok()) << r.status().to_string();
  return std::move(r).value();
}

}  // namespace fleetgate::assistant
