#include "fleetgate/assistant/json_schema.h"

#include <gtest/gtest.h>

namespace fleetgate::assistant {
namespace {

namespace json = boost::json;

const json::value kSchema = json::parse(R"({
  "type": "object",
  "description": "test",
  "properties": {
    "celsius": {"type": "number", "minimum": 16, "maximum": 28},
    "level": {"type": "integer", "minimum": 0, "maximum": 3},
    "zone": {"type": "string", "enum": ["driver", "passenger", "all"]},
    "on": {"type": "boolean"},
    "name": {"type": "string", "minLength": 1, "maxLength": 4},
    "inner": {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"], "additionalProperties": false}
  },
  "required": ["celsius"],
  "additionalProperties": false
})");

struct Case {
  std::string instance;
  std::string error;  // "" when valid
};

TEST(JsonSchema, ChecksTheSupportedSubset) {
  const Case cases[] = {
      {R"({"celsius":21})", ""},
      {R"({"celsius":21.5,"zone":"driver","level":2,"on":false,"name":"ab","inner":{"x":1}})", ""},
      {R"({"celsius":16})", ""},
      {R"({"celsius":28})", ""},
      {R"({"celsius":21,"level":2.0})", ""},
      {R"({"celsius":15.9})", "celsius: must be at least 16"},
      {R"({"celsius":29})", "celsius: must be at most 28"},
      {R"({"celsius":"21"})", "celsius: must be a number"},
      {R"({"celsius":true})", "celsius: must be a number"},
      {R"({"celsius":21,"level":2.5})", "level: must be an integer"},
      {R"({"celsius":21,"level":4})", "level: must be at most 3"},
      {R"({"celsius":21,"zone":"rear"})", "zone: must be one of driver, passenger, all"},
      {R"({"celsius":21,"on":1})", "on: must be a boolean"},
      {R"({"celsius":21,"name":""})", "name: must not be empty"},
      {R"({"celsius":21,"name":"上海虹桥"})", ""},
      {R"({"celsius":21,"name":"abcde"})", "name: must have at most 4 characters"},
      {R"({"zone":"all"})", "celsius: is required"},
      {R"({"celsius":21,"fan":3})", "fan: is not a known property"},
      {R"({"celsius":21,"inner":{}})", "inner.x: is required"},
      {R"({"celsius":21,"inner":{"x":1,"y":2}})", "inner.y: is not a known property"},
      {R"([21])", "must be an object"},
  };
  for (const Case& c : cases) {
    Status s = validate_json(kSchema, json::parse(c.instance));
    if (c.error.empty()) {
      EXPECT_TRUE(s.is_ok()) << c.instance << " -> " << s.to_string();
    } else {
      EXPECT_EQ(s.code(), Code::kInvalidArgument) << c.instance;
      EXPECT_EQ(s.message(), c.error) << c.instance;
    }
  }
}

TEST(JsonSchema, MinPropertiesNamesTheChoices) {
  auto schema = json::parse(R"({"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}},"minProperties":1})");
  EXPECT_TRUE(validate_json(schema, json::parse(R"({"b":1})")).is_ok());
  Status s = validate_json(schema, json::parse("{}"));
  EXPECT_EQ(s.message(), "must set at least 1 of a, b");
}

TEST(JsonSchema, OpenObjectsAllowUnlistedProperties) {
  auto schema = json::parse(R"({"type":"object","properties":{"a":{"type":"string"}}})");
  EXPECT_TRUE(validate_json(schema, json::parse(R"({"a":"x","b":1})")).is_ok());
}

TEST(JsonSchema, KeywordsOutsideTheSubsetAreSchemaErrors) {
  const char* schemas[] = {
      R"({"type":"string","pattern":"^a$"})",
      R"({"type":"array","uniqueItems":true})",
      R"({"type":"string","format":"email"})",
      R"({"type":"object","additionalProperties":{"type":"string"}})",
      R"({"type":[]})",
      R"({"type":"object","properties":{"a":{"oneOf":[]}}})",
      R"({"enum":"a"})",
      R"(true)",
  };
  for (const char* schema : schemas) {
    Status s = validate_json(json::parse(schema), json::parse(R"({"a":"x"})"));
    EXPECT_EQ(s.code(), Code::kInternal) << schema << " -> " << s.to_string();
  }
}

// What apps' own tool definitions use (zod-to-json-schema, Vercel AI SDK, hand-written): nested
// objects, arrays of items, nullable types, exclusive bounds, const and annotations.
TEST(JsonSchema, ChecksWhatAppSchemasUse) {
  const json::value schema = json::parse(R"({
    "$schema": "http://json-schema.org/draft-07/schema#", "title": "windows", "type": "object",
    "properties": {
      "position": {"type": "object", "additionalProperties": true, "default": {},
                   "properties": {"fraction": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1.5}}},
      "seats": {"type": "array", "items": {"type": "string", "enum": ["front", "rear"]}, "minItems": 1, "maxItems": 2},
      "note": {"type": ["string", "null"], "examples": ["x"]},
      "kind": {"const": "window"}
    }
  })");
  const Case cases[] = {
      {R"({"position":{"fraction":0.5,"extra":1},"seats":["front"],"note":null,"kind":"window"})", ""},
      {R"({"note":"n"})", ""},
      {R"({"position":{"fraction":0}})", "position.fraction: must be more than 0"},
      {R"({"position":{"fraction":1.5}})", "position.fraction: must be less than 1.5"},
      {R"({"seats":[]})", "seats: must have at least 1 items"},
      {R"({"seats":["front","rear","front"]})", "seats: must have at most 2 items"},
      {R"({"seats":["front","roof"]})", "seats[1]: must be one of front, rear"},
      {R"({"seats":"front"})", "seats: must be an array"},
      {R"({"note":3})", "note: must be a string or a null"},
      {R"({"kind":"door"})", "kind: must be window"},
  };
  for (const Case& c : cases) {
    Status s = validate_json(schema, json::parse(c.instance));
    if (c.error.empty()) {
      EXPECT_TRUE(s.is_ok()) << c.instance << " -> " << s.to_string();
    } else {
      EXPECT_EQ(s.message(), c.error) << c.instance;
    }
  }
}

}  // namespace
}  // namespace fleetgate::assistant
