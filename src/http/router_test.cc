#include "fleetgate/http/router.h"

#include <gtest/gtest.h>

namespace fleetgate::http {
namespace {

Route make(Verb method, std::string pattern) {
  return Route{method, std::move(pattern), RouteOptions::public_access(),
               Handler([](const Request&) { return Response{}; })};
}

TEST(RouterTest, ExtractsNamedParameters) {
  Router r;
  ASSERT_TRUE(r.add(make(Verb::get, "/v1/vehicles/{vin}/trips/{trip}")).is_ok());
  Router::Match m = r.find(Verb::get, "/v1/vehicles/LSVAB4182E2184467/trips/7");
  ASSERT_EQ(m.outcome, Router::Outcome::kFound);
  EXPECT_EQ(m.route->pattern, "/v1/vehicles/{vin}/trips/{trip}");
  EXPECT_EQ(m.params.at("vin"), "LSVAB4182E2184467");
  EXPECT_EQ(m.params.at("trip"), "7");
}

TEST(RouterTest, DecodesPercentEscapesPerSegment) {
  Router r;
  ASSERT_TRUE(r.add(make(Verb::get, "/files/{name}")).is_ok());
  Router::Match m = r.find(Verb::get, "/files/a%2Fb%20c");
  ASSERT_EQ(m.outcome, Router::Outcome::kFound);
  EXPECT_EQ(m.params.at("name"), "a/b c");
  EXPECT_EQ(r.find(Verb::get, "/files/bad%zz").outcome, Router::Outcome::kBadPath);
  EXPECT_EQ(r.find(Verb::get, "/files/cut%2").outcome, Router::Outcome::kBadPath);
}

TEST(RouterTest, LiteralBeatsParameterBeatsRest) {
  Router r;
  ASSERT_TRUE(r.add(make(Verb::get, "/a/{x...}")).is_ok());
  ASSERT_TRUE(r.add(make(Verb::get, "/a/{id}")).is_ok());
  ASSERT_TRUE(r.add(make(Verb::get, "/a/me")).is_ok());
  EXPECT_EQ(r.find(Verb::get, "/a/me").route->pattern, "/a/me");
  EXPECT_EQ(r.find(Verb::get, "/a/42").route->pattern, "/a/{id}");
  Router::Match rest = r.find(Verb::get, "/a/b/c%20d");
  ASSERT_EQ(rest.outcome, Router::Outcome::kFound);
  EXPECT_EQ(rest.route->pattern, "/a/{x...}");
  EXPECT_EQ(rest.params.at("x"), "b/c d");
}

TEST(RouterTest, UnknownPathIsNotFound) {
  Router r;
  ASSERT_TRUE(r.add(make(Verb::get, "/v1/vehicles/{vin}")).is_ok());
  EXPECT_EQ(r.find(Verb::get, "/v1/vehicles").outcome, Router::Outcome::kNotFound);
  EXPECT_EQ(r.find(Verb::get, "/v1/vehicles/").outcome, Router::Outcome::kNotFound);
  EXPECT_EQ(r.find(Verb::get, "/v1/vehicles/x/y").outcome, Router::Outcome::kNotFound);
  EXPECT_EQ(r.find(Verb::get, "/").outcome, Router::Outcome::kNotFound);
}

TEST(RouterTest, WrongMethodListsAllowedMethods) {
  Router r;
  ASSERT_TRUE(r.add(make(Verb::post, "/v1/items")).is_ok());
  ASSERT_TRUE(r.add(make(Verb::get, "/v1/items")).is_ok());
  Router::Match m = r.find(Verb::delete_, "/v1/items");
  ASSERT_EQ(m.outcome, Router::Outcome::kMethodNotAllowed);
  EXPECT_EQ(allow_header(m.allowed), "GET, POST");
}

TEST(RouterTest, RootPatternMatchesOnlyRoot) {
  Router r;
  ASSERT_TRUE(r.add(make(Verb::get, "/")).is_ok());
  EXPECT_EQ(r.find(Verb::get, "/").outcome, Router::Outcome::kFound);
  EXPECT_EQ(r.find(Verb::get, "/x").outcome, Router::Outcome::kNotFound);
}

TEST(RouterTest, RejectsMalformedPatterns) {
  Router r;
  for (const char* bad : {"", "v1/x", "/a//b", "/a/{", "/a/{}", "/a/x{y}", "/a/{b-c}", "/{x...}/y", "/{a}/{a}"}) {
    Status s = r.add(make(Verb::get, bad));
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << bad;
  }
}

TEST(RouterTest, RejectsClashingRoutes) {
  Router r;
  ASSERT_TRUE(r.add(make(Verb::get, "/v/{a}")).is_ok());
  EXPECT_EQ(r.add(make(Verb::get, "/v/{b}")).code(), Code::kAlreadyExists);
  EXPECT_TRUE(r.add(make(Verb::put, "/v/{b}")).is_ok());
}

}  // namespace
}  // namespace fleetgate::http
