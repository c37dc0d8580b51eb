#include "fleetgate/access/console_sessions.h"

#include <gtest/gtest.h>

#include <atomic>

#include "fleetgate/access/session_authenticator.h"
#include "fleetgate/store/embedded_store.h"
#include "fleetgate/store/test_dir.h"

namespace fleetgate::access {
namespace {

constexpr int64_t kLifetimeMs = 60'000;

class ConsoleSessionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::open_embedded(dir_.path());
    ASSERT_TRUE(s.is_ok()) << s.status().to_string();
    store_ = std::move(s).value();
    auto a = audit::AuditLog::open(*store_, [this] { return now_.load(); });
    ASSERT_TRUE(a.is_ok());
    audit_ = std::move(a).value();
    creds_ = std::make_unique<CredentialStore>(*audit_);
    sessions_ = std::make_unique<ConsoleSessions>(*audit_, *creds_, kLifetimeMs);
    ASSERT_TRUE(creds_->add_user("erin", {"operator"}, {"eu"}, "test").is_ok());
    erin_ = *creds_->issue_user_token("erin", "test");
  }

  std::vector<std::string> actions() {
    std::vector<std::string> out;
    auto entries = audit_->tail(100);
    EXPECT_TRUE(entries.is_ok());
    if (entries.is_ok()) {
      for (const auto& e : *entries) out.push_back(e.action);
    }
    return out;
  }

  std::atomic<int64_t> now_{1'000'000};
  store::TestDir dir_;
  std::unique_ptr<store::KvStore> store_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<CredentialStore> creds_;
  std::unique_ptr<ConsoleSessions> sessions_;
  std::string erin_;
};

TEST_F(ConsoleSessionsTest, SignInGivesTheUsersSessionUntilItExpires) {
  auto s = sessions_->sign_in(erin_);
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  EXPECT_EQ(s->user.subject, "erin");
  EXPECT_EQ(s->expires_ms, now_ + kLifetimeMs);
  EXPECT_EQ(s->csrf, console_csrf_token(s->id));
  EXPECT_NE(s->csrf, s->id);
  auto who = sessions_->lookup(s->id);
  ASSERT_TRUE(who.is_ok()) << who.status().to_string();
  EXPECT_EQ(who->roles, std::vector<std::string>{"operator"});
  EXPECT_EQ(who->regions, std::vector<std::string>{"eu"});
  now_ += kLifetimeMs - 1;
  EXPECT_TRUE(sessions_->lookup(s->id).is_ok());
  now_ += 1;
  EXPECT_EQ(sessions_->lookup(s->id).status().code(), Code::kUnauthenticated) << "expired";
  EXPECT_EQ(actions().back(), "console.session.start");
}

TEST_F(ConsoleSessionsTest, TheStoreKeepsOnlyTheIdsDigest) {
  auto s = sessions_->sign_in(erin_);
  ASSERT_TRUE(s.is_ok());
  int stored = 0;
  for (auto it = audit_->state().scan(""); it->valid(); it->next()) {
    EXPECT_EQ(it->key().find(s->id), std::string_view::npos) << it->key();
    EXPECT_EQ(it->value().find(s->id), std::string_view::npos) << it->key();
    if (it->key().starts_with("cred/session/")) ++stored;
  }
  EXPECT_EQ(stored, 1);
}

TEST_F(ConsoleSessionsTest, OnlyUserTokensSignIn) {
  EXPECT_EQ(sessions_->sign_in("fgu_not-a-token").status().code(), Code::kUnauthenticated);
  auto car = creds_->issue_vehicle_token("LRW3E7EA8PC390117", "eu", "test");
  ASSERT_TRUE(car.is_ok());
  EXPECT_EQ(sessions_->sign_in(*car).status().code(), Code::kPermissionDenied);
  EXPECT_EQ(sessions_->lookup("").status().code(), Code::kUnauthenticated);
  EXPECT_EQ(sessions_->lookup("made-up").status().code(), Code::kUnauthenticated);
}

TEST_F(ConsoleSessionsTest, SignOutEndsTheSessionOnceAndIsAudited) {
  auto s = sessions_->sign_in(erin_);
  ASSERT_TRUE(s.is_ok());
  ASSERT_TRUE(sessions_->sign_out(s->id).is_ok());
  EXPECT_EQ(actions().back(), "console.session.end");
  EXPECT_EQ(sessions_->lookup(s->id).status().code(), Code::kUnauthenticated);
  EXPECT_EQ(sessions_->sign_out(s->id).code(), Code::kUnauthenticated);
}

TEST_F(ConsoleSessionsTest, RevokingTheUserEndsTheirSessions) {
  auto s = sessions_->sign_in(erin_);
  ASSERT_TRUE(s.is_ok());
  ASSERT_TRUE(creds_->revoke_user("erin", "test").is_ok());
  EXPECT_EQ(sessions_->lookup(s->id).status().code(), Code::kUnauthenticated);
}

TEST_F(ConsoleSessionsTest, ExpiredSessionsAreRemovedAtTheNextSignIn) {
  ASSERT_TRUE(sessions_->sign_in(erin_).is_ok());
  ASSERT_TRUE(sessions_->sign_in(erin_).is_ok());
  now_ += kLifetimeMs;
  ASSERT_TRUE(sessions_->sign_in(erin_).is_ok());
  int stored = 0;
  for (auto it = audit_->state().scan("cred/session/"); it->valid(); it->next()) ++stored;
  EXPECT_EQ(stored, 1);
}

// A request as a browser sends it from a page of this server, carrying the session cookie.
http::Request browser_request(http::Verb verb, const std::string& id, std::vector<std::pair<std::string, std::string>> extra = {}) {
  http::Request::Message m(verb, "/v1/transfers", 11);
  m.set("Host", "console.example:8443");
  m.set("Cookie", "lang=de; " + std::string(kSessionCookie) + "=" + id + "; other=1");
  for (const auto& [name, value] : extra) m.set(name, value);
  return http::Request(std::move(m));
}

class SessionAuthenticatorTest : public ConsoleSessionsTest {
 protected:
  void SetUp() override {
    ConsoleSessionsTest::SetUp();
    auto tokens = std::make_shared<http::StaticTokenAuthenticator>();
    tokens->add_token("api-token", http::Principal{"api-client", {"auditor"}, {"*"}});
    auth_ = std::make_unique<SessionAuthenticator>(*sessions_, tokens);
    auto s = sessions_->sign_in(erin_);
    ASSERT_TRUE(s.is_ok());
    session_ = *s;
  }
  Code code_of(const http::Request& r) { return auth_->authenticate(r).status().code(); }

  std::unique_ptr<SessionAuthenticator> auth_;
  ConsoleSession session_;
};

TEST_F(SessionAuthenticatorTest, ReadsNeedOnlyTheCookie) {
  auto who = auth_->authenticate(browser_request(http::Verb::get, session_.id, {{"Sec-Fetch-Site", "same-origin"}}));
  ASSERT_TRUE(who.is_ok()) << who.status().to_string();
  EXPECT_EQ(who->subject, "erin");
  EXPECT_EQ(session_cookie(browser_request(http::Verb::get, session_.id)), session_.id);
}

TEST_F(SessionAuthenticatorTest, WritesNeedTheSessionsCsrfHeader) {
  EXPECT_EQ(code_of(browser_request(http::Verb::post, session_.id)), Code::kPermissionDenied);
  EXPECT_EQ(code_of(browser_request(http::Verb::post, session_.id, {{"x-fleetgate-csrf", "0123"}})), Code::kPermissionDenied);
  auto other = sessions_->sign_in(erin_);
  ASSERT_TRUE(other.is_ok());
  EXPECT_EQ(code_of(browser_request(http::Verb::delete_, session_.id, {{"x-fleetgate-csrf", other->csrf}})),
            Code::kPermissionDenied)
      << "another session's token";
  EXPECT_EQ(code_of(browser_request(http::Verb::post, session_.id, {{"x-fleetgate-csrf", session_.csrf}})), Code::kOk);
}

TEST_F(SessionAuthenticatorTest, CrossSiteRequestsAreRefusedEvenWithTheCsrfHeader) {
  const std::pair<std::string, std::string> csrf{"x-fleetgate-csrf", session_.csrf};
  EXPECT_EQ(code_of(browser_request(http::Verb::post, session_.id, {csrf, {"Sec-Fetch-Site", "cross-site"}})),
            Code::kPermissionDenied);
  EXPECT_EQ(code_of(browser_request(http::Verb::get, session_.id, {{"Sec-Fetch-Site", "same-site"}})), Code::kPermissionDenied);
  EXPECT_EQ(code_of(browser_request(http::Verb::post, session_.id, {csrf, {"Origin", "https://evil.example"}})),
            Code::kPermissionDenied);
  EXPECT_EQ(code_of(browser_request(http::Verb::post, session_.id, {csrf, {"Origin", "null"}})), Code::kPermissionDenied);
  EXPECT_EQ(code_of(browser_request(http::Verb::post, session_.id, {csrf, {"Origin", "https://console.example:8443"}})),
            Code::kOk);
}

TEST_F(SessionAuthenticatorTest, BearerTokensAndCookielessRequestsGoToTheOtherAuthenticators) {
  auto api = browser_request(http::Verb::post, "no-such-session", {{"Authorization", "Bearer api-token"}});
  auto who = auth_->authenticate(api);
  ASSERT_TRUE(who.is_ok()) << who.status().to_string();
  EXPECT_EQ(who->subject, "api-client");
  http::Request::Message bare(http::Verb::get, "/v1/transfers", 11);
  EXPECT_EQ(code_of(http::Request(std::move(bare))), Code::kUnauthenticated);
  EXPECT_EQ(code_of(browser_request(http::Verb::get, "no-such-session")), Code::kUnauthenticated);
}

TEST_F(SessionAuthenticatorTest, AnExpiredSessionIsUnauthenticated) {
  now_ += kLifetimeMs;
  EXPECT_EQ(code_of(browser_request(http::Verb::get, session_.id)), Code::kUnauthenticated);
}

}  // namespace
}  // namespace fleetgate::access
