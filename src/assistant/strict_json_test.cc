#include "fleetgate/assistant/strict_json.h"

#include <gtest/gtest.h>

namespace fleetgate::assistant {
namespace {

TEST(StrictJson, ParsesWhatJsonParses) {
  auto v = parse_strict_json(R"({"a":[{"b":1},{"b":2}],"c":{"b":3}})");
  ASSERT_TRUE(v.is_ok()) << v.status().to_string();
  EXPECT_EQ(v->at("c").at("b"), 3);
}

TEST(StrictJson, SameKeyInSiblingObjectsIsNoDuplicate) {
  EXPECT_TRUE(parse_strict_json(R"([{"k":1},{"k":2}])").is_ok());
  EXPECT_TRUE(parse_strict_json(R"({"k":{"k":{"k":0}}})").is_ok());
}

TEST(StrictJson, RefusesADuplicateKeyAtAnyDepth) {
  for (const char* text : {R"({"k":1,"k":2})", R"({"a":{"k":1,"x":0,"k":1}})", R"([0,{"k":1,"k":1}])",
                           R"({"k":1,"\u006b":2})"}) {
    auto v = parse_strict_json(text);
    ASSERT_FALSE(v.is_ok()) << text;
    EXPECT_EQ(v.status().code(), Code::kInvalidArgument);
    EXPECT_EQ(v.status().message(), "duplicate key 'k'") << text;
  }
}

TEST(StrictJson, InvalidJsonSaysSo) {
  for (const char* text : {"", "{", R"({"k":1}x)", "[1,]"}) {
    auto v = parse_strict_json(text);
    ASSERT_FALSE(v.is_ok()) << text;
    EXPECT_EQ(v.status().message().rfind("invalid JSON (", 0), 0u) << v.status().message();
  }
}

}  // namespace
}  // namespace fleetgate::assistant
