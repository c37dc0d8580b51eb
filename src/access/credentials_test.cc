#include "fleetgate/access/credentials.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "fleetgate/access/vehicle_token.h"
#include "fleetgate/core/digest.h"
#include "fleetgate/store/embedded_store.h"
#include "fleetgate/store/outage_store.h"
#include "fleetgate/store/test_dir.h"

namespace fleetgate::access {
namespace {

class CredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override { open(); }
  void open() {
    creds_.reset();
    audit_.reset();
    store_.reset();
    auto s = store::open_embedded(dir_.path());
    ASSERT_TRUE(s.is_ok()) << s.status().to_string();
    store_ = std::move(s).value();
    auto a = audit::AuditLog::open(*store_);
    ASSERT_TRUE(a.is_ok());
    audit_ = std::move(a).value();
    creds_ = std::make_unique<CredentialStore>(*audit_);
  }

  store::TestDir dir_;
  std::unique_ptr<store::KvStore> store_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<CredentialStore> creds_;
};

TEST_F(CredentialsTest, VehicleTokenResolvesAndSurvivesRestart) {
  auto token = creds_->issue_vehicle_token("LRW3E7EA8PC390117", "eu", "cli:test");
  ASSERT_TRUE(token.is_ok());
  EXPECT_EQ(token->rfind("fgv_eu_", 0), 0u) << "a vehicle token names its home region";
  EXPECT_EQ(vehicle_token_region(*token), "eu");
  open();
  auto c = creds_->lookup(*token);
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  EXPECT_EQ(c->subject, "LRW3E7EA8PC390117");
  EXPECT_EQ(c->roles, std::vector<std::string>{"vehicle"});
  EXPECT_TRUE(c->may_act_in("eu"));
  EXPECT_FALSE(c->may_act_in("cn"));
}

TEST_F(CredentialsTest, VehicleTokensOfTheOldFormatStillAuthenticate) {
  // What the previous release stored for a token it minted as "fgv_" + random: the record under
  // the token's digest, which lookup() finds whatever the token's text.
  const std::string old_token = "fgv_" + random_token(32);
  store::WriteBatch batch;
  batch.put("cred/token/" + sha256_hex(old_token),
            R"({"kind":"vehicle","subject":"LRW3E7EA8PC390117","region":"cn","issued_ms":1})");
  ASSERT_TRUE(store_->write(batch).is_ok());
  auto c = creds_->lookup(old_token);
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  EXPECT_EQ(c->subject, "LRW3E7EA8PC390117");
  EXPECT_TRUE(c->may_act_in("cn"));
  EXPECT_EQ(vehicle_token_region(old_token), std::nullopt);
}

TEST_F(CredentialsTest, ARegionIdThatCannotBeNamedInATokenIsRefused) {
  for (std::string_view bad : {"e_u", "EU", "a-region-id-too-long"}) {
    EXPECT_EQ(creds_->issue_vehicle_token("LRW3E7EA8PC390117", bad, "cli:test").status().code(), Code::kInvalidArgument)
        << bad;
  }
}

TEST(VehicleToken, NamesItsRegionAndTellsTheOldFormatApart) {
  EXPECT_EQ(vehicle_token_region(mint_vehicle_token("cn")), "cn");
  EXPECT_EQ(vehicle_token_region(mint_vehicle_token("us-west-2")), "us-west-2");
  // Old tokens are "fgv_" + 43 base64url characters, which may hold '_': never a region.
  EXPECT_EQ(vehicle_token_region("fgv_eu_" + std::string(40, 'A')), std::nullopt);
  EXPECT_EQ(vehicle_token_region("fgv_" + std::string(43, '_')), std::nullopt);
  EXPECT_EQ(vehicle_token_region("fgv_eu_" + std::string(43, 'A')), "eu");
  EXPECT_EQ(vehicle_token_region("fgv_EU_" + std::string(43, 'A')), std::nullopt);
  EXPECT_EQ(vehicle_token_region("fgv_e.u_" + std::string(43, 'A')), std::nullopt);
  EXPECT_EQ(vehicle_token_region("fgv__" + std::string(43, 'A')), std::nullopt);
  EXPECT_EQ(vehicle_token_region("fgu_eu_" + std::string(43, 'A')), std::nullopt) << "user tokens name no region";
  EXPECT_EQ(vehicle_token_region(""), std::nullopt);
}

TEST_F(CredentialsTest, TokensAreStoredOnlyAsDigests) {
  auto token = creds_->issue_vehicle_token("LRW3E7EA8PC390117", "eu", "cli:test");
  ASSERT_TRUE(token.is_ok());
  auto it = store_->scan("");
  for (; it->valid(); it->next()) {
    EXPECT_EQ(it->key().find(*token), std::string_view::npos);
    EXPECT_EQ(it->value().find(token->substr(4)), std::string_view::npos) << it->key();
  }
}

TEST_F(CredentialsTest, ReissuingRevokesThePreviousVehicleToken) {
  auto first = creds_->issue_vehicle_token("LRW3E7EA8PC390117", "eu", "cli:test");
  auto second = creds_->issue_vehicle_token("LRW3E7EA8PC390117", "eu", "cli:test");
  ASSERT_TRUE(first.is_ok() && second.is_ok());
  EXPECT_EQ(creds_->lookup(*first).status().code(), Code::kUnauthenticated);
  EXPECT_TRUE(creds_->lookup(*second).is_ok());
}

TEST_F(CredentialsTest, RevokingAVehicleTokenEndsItAtOnce) {
  auto token = creds_->issue_vehicle_token("LRW3E7EA8PC390117", "eu", "cli:test");
  ASSERT_TRUE(token.is_ok());
  ASSERT_TRUE(creds_->lookup(*token).is_ok());  // known, so answered from memory from now on
  ASSERT_TRUE(creds_->revoke_vehicle_token("LRW3E7EA8PC390117", "eu", "cli:test").is_ok());
  EXPECT_EQ(creds_->lookup(*token).status().code(), Code::kUnauthenticated);
  EXPECT_EQ(creds_->revoke_vehicle_token("LRW3E7EA8PC390117", "eu", "cli:test").code(), Code::kNotFound);
  auto next = creds_->issue_vehicle_token("LRW3E7EA8PC390117", "eu", "cli:test");
  ASSERT_TRUE(next.is_ok());
  EXPECT_TRUE(creds_->lookup(*next).is_ok());
  auto tail = audit_->tail(2);
  ASSERT_TRUE(tail.is_ok());
  EXPECT_EQ((*tail)[0].action, "vehicle.token.revoke");
  EXPECT_EQ((*tail)[0].region, "eu");
  EXPECT_FALSE((*tail)[1].details.contains("replaced_previous")) << "the revoked token is gone, nothing to replace";
}

// Issues race once they come over HTTP: however they interleave, one token per vehicle stays valid.
TEST_F(CredentialsTest, ConcurrentReissuesLeaveExactlyOneValidToken) {
  constexpr int kThreads = 8;
  std::vector<std::string> tokens(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (int round = 0; round < 20; ++round) {
        auto t = creds_->issue_vehicle_token("LRW3E7EA8PC390117", "eu", "cli:test");
        ASSERT_TRUE(t.is_ok());
        tokens[i] = *t;
      }
    });
  }
  for (auto& t : threads) t.join();
  int valid = 0;
  for (const auto& t : tokens) valid += creds_->lookup(t).is_ok() ? 1 : 0;
  EXPECT_EQ(valid, 1);
  size_t stored = 0;
  for (auto it = store_->scan("cred/token/"); it->valid(); it->next()) ++stored;
  EXPECT_EQ(stored, 1u);
}

TEST_F(CredentialsTest, UnknownTokensAreUnauthenticated) {
  for (std::string_view t : {"", "fgv_nope", "x"}) EXPECT_EQ(creds_->lookup(t).status().code(), Code::kUnauthenticated);
  EXPECT_EQ(creds_->lookup(std::string(1000, 'a')).status().code(), Code::kUnauthenticated);
}

TEST_F(CredentialsTest, AStoreThatCannotBeReadIsNotABadToken) {
  // The database goes down between the token's read and its user's.
  store::OutageStore outage(*store_, "cred/user/");
  auto audit = audit::AuditLog::open(outage);
  ASSERT_TRUE(audit.is_ok());
  CredentialStore creds(**audit);
  ASSERT_TRUE(creds.add_user("alice", {"operator"}, {"cn"}, "cli:root").is_ok());
  auto token = creds.issue_user_token("alice", "cli:root");
  ASSERT_TRUE(token.is_ok());
  outage.fail();
  // 503 for the caller, who may retry, rather than 401, which says the token is bad.
  EXPECT_EQ(creds.lookup(*token).status().code(), Code::kUnavailable);
}

TEST_F(CredentialsTest, UsersHoldRolesPerRegionAndRevocationIsImmediate) {
  auto u = creds_->add_user("alice", {"operator", "dpo"}, {"cn"}, "cli:root");
  ASSERT_TRUE(u.is_ok()) << u.status().to_string();
  auto token = creds_->issue_user_token("alice", "cli:root");
  ASSERT_TRUE(token.is_ok());
  auto c = creds_->lookup(*token);
  ASSERT_TRUE(c.is_ok());
  EXPECT_EQ(c->roles, (std::vector<std::string>{"dpo", "operator"}));
  EXPECT_TRUE(c->may_act_in("cn"));
  EXPECT_FALSE(c->may_act_in("eu"));
  ASSERT_TRUE(creds_->revoke_user("alice", "cli:root").is_ok());
  EXPECT_EQ(creds_->lookup(*token).status().code(), Code::kUnauthenticated);
  EXPECT_EQ(creds_->issue_user_token("alice", "cli:root").status().code(), Code::kFailedPrecondition);
}

TEST_F(CredentialsTest, BadUsersAreRefused) {
  EXPECT_EQ(creds_->add_user("Bad Name", {"operator"}, {"cn"}, "t").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(creds_->add_user("bob", {"superuser"}, {"cn"}, "t").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(creds_->add_user("bob", {"vehicle"}, {"cn"}, "t").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(creds_->add_user("bob", {}, {"cn"}, "t").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(creds_->add_user("bob", {"admin"}, {}, "t").status().code(), Code::kInvalidArgument);
  ASSERT_TRUE(creds_->add_user("bob", {"admin"}, {"*"}, "t").is_ok());
  EXPECT_EQ(creds_->add_user("bob", {"admin"}, {"*"}, "t").status().code(), Code::kAlreadyExists);
  EXPECT_EQ(creds_->issue_user_token("carol", "t").status().code(), Code::kNotFound);
}

TEST_F(CredentialsTest, EveryChangeIsAudited) {
  ASSERT_TRUE(creds_->add_user("bob", {"admin"}, {"*"}, "cli:root").is_ok());
  ASSERT_TRUE(creds_->issue_user_token("bob", "cli:root").is_ok());
  ASSERT_TRUE(creds_->issue_vehicle_token("LRW3E7EA8PC390117", "eu", "cli:root").is_ok());
  ASSERT_TRUE(creds_->revoke_user("bob", "cli:root").is_ok());
  auto tail = audit_->tail(10);
  ASSERT_TRUE(tail.is_ok());
  std::vector<std::string> actions;
  for (const auto& e : *tail) actions.push_back(e.action);
  EXPECT_EQ(actions, (std::vector<std::string>{"user.add", "user.token.issue", "vehicle.token.issue", "user.revoke"}));
  auto report = audit_->verify();
  ASSERT_TRUE(report.is_ok());
  EXPECT_TRUE(report->intact());
}

}  // namespace
}  // namespace fleetgate::access
