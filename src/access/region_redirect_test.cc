#include "fleetgate/access/region_redirect.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "fleetgate/access/vehicle_token.h"

namespace fleetgate::access {
namespace {

config::Config cn_node() {
  config::Config c;
  for (const char* id : {"cn", "eu", "us"}) {
    config::Region r;
    r.id = id;
    c.regions.push_back(std::move(r));
  }
  c.regions[1].endpoint = "https://eu.fleet.example";
  c.served_regions = {"cn"};
  return c;
}

http::Request request(const std::string& token, std::string target = "/v1/chat/completions?x=1") {
  http::Request::Message m{http::Verb::post, target, 11};
  if (!token.empty()) m.set(http::beast_http::field::authorization, "Bearer " + token);
  return http::Request(std::move(m));
}

boost::json::value error_of(const http::Response& r) { return boost::json::parse(r.body).at("error"); }

TEST(RegionRedirect, AnotherRegionsCarIsRedirectedToItsEndpointWithTheTarget) {
  auto r = redirect_to_home_region(cn_node(), request(mint_vehicle_token("eu")));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, http::StatusCode::temporary_redirect);
  EXPECT_EQ(r->headers[http::beast_http::field::location], "https://eu.fleet.example/v1/chat/completions?x=1");
  EXPECT_EQ(error_of(*r).at("code").as_string(), "wrong_region");
  EXPECT_EQ(error_of(*r).at("type").as_string(), "invalid_request_error");
  EXPECT_NE(std::string(error_of(*r).at("message").as_string()).find("'eu'"), std::string::npos);
}

TEST(RegionRedirect, ARegionWithoutEndpointGets421) {
  auto r = redirect_to_home_region(cn_node(), request(mint_vehicle_token("us")));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, http::StatusCode::misdirected_request);
  EXPECT_EQ(r->headers.find(http::beast_http::field::location), r->headers.end());
  EXPECT_EQ(error_of(*r).at("code").as_string(), "wrong_region");
  EXPECT_NE(std::string(error_of(*r).at("message").as_string()).find("'us'"), std::string::npos);
}

TEST(RegionRedirect, RequestsThatBelongHereStay) {
  const config::Config c = cn_node();
  EXPECT_FALSE(redirect_to_home_region(c, request(mint_vehicle_token("cn"))));
  EXPECT_FALSE(redirect_to_home_region(c, request(""))) << "no token: the access check answers";
  EXPECT_FALSE(redirect_to_home_region(c, request("fgv_" + std::string(43, 'A')))) << "old format";
  EXPECT_FALSE(redirect_to_home_region(c, request("fgu_eu_" + std::string(43, 'A')))) << "user token";
  EXPECT_FALSE(redirect_to_home_region(c, request(mint_vehicle_token("mars")))) << "unknown region: refused as unknown";
}

}  // namespace
}  // namespace fleetgate::access
