#include "fleetgate/http/session_registry.h"

#include <gtest/gtest.h>

namespace fleetgate::http {
namespace {

TEST(SessionRegistry, EndingACredentialEndsExactlyItsOpenSessions) {
  SessionRegistry registry;
  int ended_a = 0, ended_b = 0;
  auto a1 = registry.open("token:A", [&] { ++ended_a; });
  auto a2 = registry.open("token:A", [&] { ++ended_a; });
  auto b = registry.open("token:B", [&] { ++ended_b; });
  auto anonymous = registry.open("", [] { FAIL() << "a session without a credential is never ended"; });
  EXPECT_EQ(registry.end("token:A"), 2u);
  EXPECT_EQ(ended_a, 2);
  EXPECT_TRUE(a1->ended() && a2->ended());
  EXPECT_FALSE(b->ended());
  EXPECT_EQ(registry.end("token:A"), 0u) << "each session ends once";
  EXPECT_EQ(registry.end(""), 0u);

  b.reset();
  EXPECT_EQ(registry.end("token:B"), 0u) << "a closed session is forgotten";
  EXPECT_EQ(ended_b, 0);
}

}  // namespace
}  // namespace fleetgate::http
