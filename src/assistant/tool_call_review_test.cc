#include "fleetgate/assistant/tool_call_review.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace fleetgate::assistant {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

const Clock::time_point kNow = Clock::time_point(1700000000s);

VehicleState state(double kmh, Gear gear) {
  VehicleState s;
  s.speed_kmh = kmh;
  s.gear = gear;
  s.updated_at = kNow;
  return s;
}

ToolCallReview review(const HeldChoice& held, const VehicleState& s) {
  return review_held(held, {}, &s, kNow, InterlockOptions{}, Language::kEn);
}

HeldCall tool_call(std::string name, std::string arguments) {
  return {CallShape::kToolCall, "call_" + name, std::move(name), std::move(arguments)};
}

TEST(ToolCallReview, AllowedCallsLeaveInTheirShapeWithTheReviewedArguments) {
  HeldChoice held{{tool_call("trunk", R"({ "action" : "open" })"),
                   {CallShape::kFunctionCall, "", "lights", R"({"action":"flash"})"}},
                  ""};
  ToolCallReview r = review(held, state(0, Gear::kPark));
  ASSERT_EQ(r.allowed.size(), 2u);
  EXPECT_TRUE(r.refused.empty());
  EXPECT_EQ(r.allowed[0].arguments, R"({"action":"open"})") << "re-serialised from what was reviewed";

  json::object message{{"role", "assistant"}, {"content", nullptr}};
  EXPECT_EQ(apply_review(r, message, true), "tool_calls");
  EXPECT_EQ(message, json::parse(R"({"role":"assistant","content":null,
      "tool_calls":[{"id":"call_trunk","type":"function","function":{"name":"trunk","arguments":"{\"action\":\"open\"}"}}],
      "function_call":{"name":"lights","arguments":"{\"action\":\"flash\"}"}})"));

  json::object delta;
  EXPECT_EQ(apply_review(r, delta, false), "tool_calls");
  EXPECT_EQ(delta.at("tool_calls").at(0).at("index"), 0) << "streamed calls carry their index";
}

TEST(ToolCallReview, ALegacyCallAloneFinishesAsFunctionCall) {
  HeldChoice held{{{CallShape::kFunctionCall, "", "lock", R"({"locked":true})"}}, ""};
  ToolCallReview r = review(held, state(80, Gear::kDrive));
  json::object message;
  EXPECT_EQ(apply_review(r, message, true), "function_call");
  EXPECT_EQ(message.at("function_call").at("name"), "lock");
  EXPECT_FALSE(message.contains("tool_calls"));
}

TEST(ToolCallReview, RefusedCallsBecomeTheExplanation) {
  for (CallShape shape : {CallShape::kToolCall, CallShape::kFunctionCall}) {
    HeldChoice held{{{shape, "c", "trunk", R"({"action":"open"})"}}, ""};
    ToolCallReview r = review(held, state(80, Gear::kDrive));
    EXPECT_TRUE(r.allowed.empty());
    ASSERT_EQ(r.refused.size(), 1u);
    EXPECT_EQ(r.refused[0].second.reason_code, "vehicle_not_parked");
    json::object delta;
    EXPECT_EQ(apply_review(r, delta, false), "stop");
    EXPECT_EQ(delta, (json::object{{"content", r.explanation()}}));
  }
}

TEST(ToolCallReview, DuplicateKeysAreRefusedNotGuessed) {
  HeldChoice held{{tool_call("trunk", R"({"action":"close","action":"open"})")}, ""};
  ToolCallReview r = review(held, state(0, Gear::kPark));
  EXPECT_TRUE(r.allowed.empty());
  ASSERT_EQ(r.refused.size(), 1u);
  EXPECT_EQ(r.refused[0].second.reason_code, "invalid_arguments");
  EXPECT_NE(r.refused[0].second.message.find("duplicate key 'action'"), std::string::npos) << r.refused[0].second.message;
}

TEST(ToolCallReview, AnUnreadableChoiceIsRefusedWhole) {
  HeldChoice held{{tool_call("lights", R"({"action":"on"})")}, "tool_calls is not an array"};
  ToolCallReview r = review(held, state(0, Gear::kPark));
  EXPECT_TRUE(r.allowed.empty());
  ASSERT_EQ(r.refused.size(), 1u);
  EXPECT_EQ(r.refused[0].second.reason_code, "unreadable_tool_call");
  EXPECT_FALSE(r.explanation().empty());
}

}  // namespace
}  // namespace fleetgate::assistant
