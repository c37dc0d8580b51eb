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

// What an access check made before a registration needs to know: whether any end() began since.
TEST(SessionRegistry, EveryEndIsCountedWhetherOrNotItEndedAnything) {
  SessionRegistry registry;
  const uint64_t before = registry.ends_begun();
  EXPECT_EQ(registry.end("token:nobody"), 0u);
  EXPECT_EQ(registry.ends_begun(), before + 1) << "a revocation that found no session still moves the count";
  auto session = registry.open("token:A", [] {});
  EXPECT_EQ(registry.ends_begun(), before + 1) << "opening is not ending";
  EXPECT_EQ(registry.end("token:A"), 1u);
  EXPECT_EQ(registry.ends_begun(), before + 2);
}

}  // namespace
}  // namespace fleetgate::http
