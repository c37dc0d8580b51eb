#include "fleetgate/http/auth.h"

#include <gtest/gtest.h>

namespace fleetgate::http {
namespace {

Request with_auth(std::string value) {
  Request::Message m{Verb::get, "/x", 11};
  if (!value.empty()) m.set(beast_http::field::authorization, value);
  return Request(std::move(m));
}

class AuthTest : public ::testing::Test {
 protected:
  void SetUp() override { tokens_.add_token("op-token", Principal{"alice", {"operator"}, {"cn"}}); }
  StaticTokenAuthenticator tokens_;
};

TEST_F(AuthTest, PublicRoutesSkipAuthentication) {
  Result<std::optional<Principal>> r = authorize(RouteOptions::public_access(), DenyAllAuthenticator(), with_auth(""));
  ASSERT_TRUE(r.is_ok());
  EXPECT_FALSE(r->has_value());
}

TEST_F(AuthTest, RouteWithoutRolesDeniesEveryone) {
  Result<std::optional<Principal>> r = authorize(RouteOptions{}, tokens_, with_auth("Bearer op-token"));
  EXPECT_EQ(r.status().code(), Code::kPermissionDenied);
}

TEST_F(AuthTest, MissingOrUnknownTokenIsUnauthenticated) {
  const RouteOptions route = RouteOptions::for_roles({"operator"});
  EXPECT_EQ(authorize(route, tokens_, with_auth("")).status().code(), Code::kUnauthenticated);
  EXPECT_EQ(authorize(route, tokens_, with_auth("Bearer nope")).status().code(), Code::kUnauthenticated);
  EXPECT_EQ(authorize(route, tokens_, with_auth("Basic b3AtdG9rZW4=")).status().code(), Code::kUnauthenticated);
}

TEST_F(AuthTest, CallerNeedsOneOfTheRoles) {
  EXPECT_EQ(authorize(RouteOptions::for_roles({"auditor"}), tokens_, with_auth("Bearer op-token")).status().code(),
            Code::kPermissionDenied);
  Result<std::optional<Principal>> r =
      authorize(RouteOptions::for_roles({"admin", "operator"}), tokens_, with_auth("bearer op-token"));
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ((*r)->subject, "alice");
}

TEST_F(AuthTest, DenyAllAuthenticatorRefusesRoleRoutes) {
  EXPECT_EQ(authorize(RouteOptions::for_roles({"operator"}), DenyAllAuthenticator(), with_auth("Bearer op-token"))
                .status()
                .code(),
            Code::kUnauthenticated);
}

}  // namespace
}  // namespace fleetgate::http
