#include "fleetgate/assistant/held_tool_calls.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace fleetgate::assistant {
namespace {

namespace json = boost::json;

json::object object(std::string_view text) { return json::parse(text).as_object(); }

// Takes every delta of a stream into choice 0 of `hold`.
void take_stream(ToolCallHold& hold, std::initializer_list<std::string_view> deltas) {
  for (std::string_view text : deltas) {
    json::object delta = object(text);
    auto taken = hold.take_from(0, delta, false);
    ASSERT_TRUE(taken.is_ok()) << taken.status().to_string();
    EXPECT_FALSE(delta.contains("tool_calls")) << text;
    EXPECT_FALSE(delta.contains("function_call")) << text;
  }
}

TEST(ToolCallHold, TakesBothShapesOutOfAWholeMessage) {
  ToolCallHold hold;
  json::object message = object(R"({"role":"assistant","content":null,
      "tool_calls":[{"id":"c1","type":"function","function":{"name":"trunk","arguments":"{\"action\":\"open\"}"}},
                    {"id":"c2","type":"function","function":{"name":"lights","arguments":"{}"}}],
      "function_call":{"name":"lock","arguments":"{\"locked\":false}"}})");
  auto taken = hold.take_from(0, message, true);
  ASSERT_TRUE(taken.is_ok());
  EXPECT_TRUE(*taken);
  EXPECT_EQ(message, object(R"({"role":"assistant","content":null})"));
  ASSERT_TRUE(hold.holds(0));
  HeldChoice held = hold.release(0);
  EXPECT_TRUE(held.unreadable.empty()) << held.unreadable;
  ASSERT_EQ(held.calls.size(), 3u);
  EXPECT_EQ(held.calls[0].shape, CallShape::kToolCall);
  EXPECT_EQ(held.calls[0].id, "c1");
  EXPECT_EQ(held.calls[0].name, "trunk");
  EXPECT_EQ(held.calls[0].arguments, R"({"action":"open"})");
  EXPECT_EQ(held.calls[1].name, "lights");
  EXPECT_EQ(held.calls[2].shape, CallShape::kFunctionCall);
  EXPECT_EQ(held.calls[2].name, "lock");
  EXPECT_EQ(held.calls[2].arguments, R"({"locked":false})");
  EXPECT_FALSE(hold.holds(0));
}

TEST(ToolCallHold, AssemblesStreamedPiecesOfBothShapes) {
  ToolCallHold hold;
  take_stream(hold, {R"({"role":"assistant","tool_calls":[{"index":0,"id":"c1","type":"function","function":{"name":"trunk","arguments":""}}]})",
                     R"({"tool_calls":[{"index":0,"function":{"arguments":"{\"action\""}}]})",
                     R"({"tool_calls":[{"index":0,"id":null,"type":null,"function":{"name":null,"arguments":":\"open\"}"}}]})",
                     R"({"tool_calls":[{"index":1,"id":"c2","function":{"name":"lights","arguments":"{}"}}]})",
                     R"({"function_call":{"name":"lock","arguments":""}})",
                     R"({"function_call":{"arguments":"{\"locked\":true}"}})"});
  HeldChoice held = hold.release(0);
  EXPECT_TRUE(held.unreadable.empty()) << held.unreadable;
  ASSERT_EQ(held.calls.size(), 3u);
  EXPECT_EQ(held.calls[0].arguments, R"({"action":"open"})");
  EXPECT_EQ(held.calls[1].id, "c2");
  EXPECT_EQ(held.calls[2].shape, CallShape::kFunctionCall);
  EXPECT_EQ(held.calls[2].arguments, R"({"locked":true})");
}

TEST(ToolCallHold, ChoicesAreHeldApart) {
  ToolCallHold hold;
  json::object a = object(R"({"tool_calls":[{"index":0,"id":"a","function":{"name":"trunk","arguments":"{}"}}]})");
  json::object b = object(R"({"tool_calls":[{"index":0,"id":"b","function":{"name":"frunk","arguments":"{}"}}]})");
  ASSERT_TRUE(hold.take_from(0, a, false).is_ok());
  ASSERT_TRUE(hold.take_from(3, b, false).is_ok());
  EXPECT_EQ(hold.holding(), (std::vector<size_t>{0, 3}));
  EXPECT_EQ(hold.release(3).calls.at(0).name, "frunk");
  EXPECT_EQ(hold.release(0).calls.at(0).name, "trunk");
}

TEST(ToolCallHold, NullOrEmptyCallsHoldNothing) {
  ToolCallHold hold;
  json::object message = object(R"({"content":"hi","tool_calls":null,"function_call":null})");
  auto taken = hold.take_from(0, message, true);
  ASSERT_TRUE(taken.is_ok());
  EXPECT_TRUE(*taken) << "the members are gone from the message";
  EXPECT_FALSE(hold.holds(0));
  json::object empty = object(R"({"tool_calls":[]})");
  ASSERT_TRUE(hold.take_from(0, empty, true).is_ok());
  EXPECT_FALSE(hold.holds(0));
  json::object none = object(R"({"content":"hi"})");
  taken = hold.take_from(0, none, false);
  ASSERT_TRUE(taken.is_ok());
  EXPECT_FALSE(*taken);
}

// Every shape a hostile or broken provider may send instead: the choice cannot be reviewed, so
// none of its calls may pass, and nothing throws.
TEST(ToolCallHold, WhatCannotBeReadMarksTheChoiceUnreadable) {
  const struct {
    bool whole;
    std::vector<std::string> holders;
  } cases[] = {
      {true, {R"({"tool_calls":{"id":"c","type":"function","function":{"name":"trunk","arguments":"{}"}}})"}},
      {true, {R"({"tool_calls":"trunk"})"}},
      {true, {R"({"tool_calls":[{"id":"c","function":{"name":"trunk","arguments":"{}"}},7]})"}},
      {true, {R"({"tool_calls":[{"id":"c","function":{"name":"trunk","arguments":{"action":"open"}}}]})"}},
      {true, {R"({"tool_calls":[{"id":"c","function":{"name":"trunk"}}]})"}},
      {true, {R"({"tool_calls":[{"function":{"name":"trunk","arguments":"{}"}}]})"}},
      {true, {R"({"tool_calls":[{"id":"c","type":"code","function":{"name":"trunk","arguments":"{}"}}]})"}},
      {true, {R"({"function_call":["trunk","{}"]})"}},
      {true, {R"({"function_call":{"name":5,"arguments":"{}"}})"}},
      {false, {R"({"tool_calls":{"index":0,"id":"c","function":{"name":"trunk","arguments":"{}"}}})"}},
      {false, {R"({"tool_calls":[{"index":-1,"id":"c","function":{"name":"trunk","arguments":"{}"}}]})"}},
      {false, {R"({"tool_calls":[{"index":1.5,"id":"c","function":{"name":"trunk","arguments":"{}"}}]})"}},
      {false, {R"({"tool_calls":[{"index":"0","id":"c","function":{"name":"trunk","arguments":"{}"}}]})"}},
      {false, {R"({"tool_calls":[{"index":null,"id":"c","function":{"name":"trunk","arguments":"{}"}}]})"}},
      {false, {R"({"tool_calls":[{"id":"c","function":{"name":"trunk","arguments":"{}"}}]})"}},
      {false, {R"({"tool_calls":[{"index":9223372036854775808,"id":"c","function":{"name":"trunk","arguments":"{}"}}]})"}},
      {false, {R"({"tool_calls":[{"index":18446744073709551615,"id":"c","function":{"name":"trunk","arguments":"{}"}}]})"}},
      {false, {R"({"tool_calls":[{"index":1e300,"id":"c","function":{"name":"trunk","arguments":"{}"}}]})"}},
      {false, {R"({"tool_calls":[{"index":2,"id":"c","function":{"name":"trunk","arguments":"{}"}}]})"}},
      {false,
       {R"({"tool_calls":[{"index":0,"id":"c","function":{"name":"trunk","arguments":"{\"action\":"}}]})",
        R"({"tool_calls":[{"index":0,"id":"other","function":{"arguments":"\"open\"}"}}]})"}},
      {false,
       {R"({"tool_calls":[{"index":0,"id":"c","function":{"name":"trunk","arguments":"{\"action\":"}}]})",
        R"({"tool_calls":[{"index":0,"function":{"arguments":["\"open\"}"]}}]})"}},
      {false, {R"({"function_call":{"arguments":"{}"}})"}},
  };
  for (const auto& c : cases) {
    ToolCallHold hold;
    for (const std::string& text : c.holders) {
      SCOPED_TRACE(text);
      json::object holder = object(text);
      auto taken = hold.take_from(0, holder, c.whole);
      ASSERT_TRUE(taken.is_ok()) << taken.status().to_string();
      EXPECT_TRUE(*taken);
      EXPECT_TRUE(holder.empty()) << "nothing unreviewed stays in the answer";
    }
    ASSERT_TRUE(hold.holds(0)) << c.holders.back();
    HeldChoice held = hold.release(0);
    EXPECT_FALSE(held.unreadable.empty()) << c.holders.back();
    EXPECT_TRUE(held.calls.empty()) << c.holders.back();
  }
}

TEST(ToolCallHold, AnAnswerPastTheLimitsIsRefused) {
  ToolCallHold few({.max_calls = 2, .max_bytes = 1000});
  json::object message = object(R"({"tool_calls":[{"id":"a","function":{"name":"x","arguments":"{}"}},
                                                  {"id":"b","function":{"name":"y","arguments":"{}"}}]})");
  ASSERT_TRUE(few.take_from(0, message, true).is_ok());
  json::object third = object(R"({"function_call":{"name":"z","arguments":"{}"}})");
  auto over = few.take_from(1, third, true);
  ASSERT_FALSE(over.is_ok());
  EXPECT_EQ(over.status().code(), Code::kResourceExhausted);
  EXPECT_EQ(over.status().message(), "the answer has more than 2 tool calls");

  // Bytes count over the answer's life, released choices included: an endless stream of pieces
  // cannot stay under the limit by finishing its choice now and then.
  ToolCallHold small({.max_calls = 128, .max_bytes = 40});
  json::object first = object(R"({"tool_calls":[{"index":0,"id":"c","function":{"name":"trunk","arguments":""}}]})");
  ASSERT_TRUE(small.take_from(0, first, false).is_ok());
  EXPECT_EQ(small.bytes(), 6u);
  (void)small.release(0);
  Status last;
  for (int i = 0; i < 100 && last.is_ok(); ++i) {
    json::object piece = object(R"({"function_call":{"name":"lock","arguments":"12345678"}})");
    auto taken = small.take_from(0, piece, false);
    if (!taken) last = taken.status();
  }
  EXPECT_EQ(last.code(), Code::kResourceExhausted);
  EXPECT_EQ(last.message(), "the answer's tool calls exceed 40 bytes");
  EXPECT_LE(small.bytes(), 40u);
}

}  // namespace
}  // namespace fleetgate::assistant
