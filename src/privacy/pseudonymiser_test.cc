#include "fleetgate/privacy/pseudonymiser.h"

#include <gtest/gtest.h>

#include <set>

#include "fleetgate/privacy/test_keys.h"

namespace fleetgate::privacy {
namespace {

std::vector<std::string> some_vins() {
  std::vector<std::string> vins;
  for (int i = 0; i < 200; ++i) {
    char serial[8];
    std::snprintf(serial, sizeof serial, "%06d", i);
    vins.push_back(std::string("WVWZZZ1JZXW") + serial);
  }
  return vins;
}

TEST(Pseudonymiser, MatchesTheDocumentedConstruction) {
  // HMAC-SHA256(key = 32 x 0x0b, "vin:1HGCM82633A004352"), first 16 bytes, computed with
  // `openssl dgst -sha256 -mac HMAC`.
  Pseudonymiser p(fixed_keys("us", 0x0b));
  EXPECT_EQ(*p.pseudonym("1HGCM82633A004352"), "p_4ac4abbbcf36a12f2aa991cc45ae3d52");
}

TEST(Pseudonymiser, IsDeterministicAndSeparatesVinsAndKeys) {
  Pseudonymiser eu(fixed_keys("eu", 1));
  Pseudonymiser eu_again(fixed_keys("eu", 1));
  Pseudonymiser cn(fixed_keys("cn", 2));
  std::set<std::string> seen_eu, seen_cn;
  for (const auto& vin : some_vins()) {
    auto a = eu.pseudonym(vin);
    ASSERT_TRUE(a.is_ok());
    EXPECT_EQ(a->size(), 2 + 2 * kPseudonymBytes);
    EXPECT_EQ(a->rfind("p_", 0), 0u);
    EXPECT_EQ(*eu_again.pseudonym(vin), *a);
    seen_eu.insert(*a);
    seen_cn.insert(*cn.pseudonym(vin));
  }
  EXPECT_EQ(seen_eu.size(), 200u);
  for (const auto& p : seen_cn) EXPECT_FALSE(seen_eu.contains(p)) << p;
}

TEST(TransferPseudonymiser, MatchesTheDocumentedConstruction) {
  // HKDF-SHA256(ikm = 32 x 0x0b, salt "fleetgate/transfer-pseudonym/v1", info "tr-1") as HMAC key over
  // the region pseudonym, computed with `openssl kdf` and `openssl dgst`.
  Pseudonymiser p(fixed_keys("us", 0x0b));
  auto t = p.for_transfer("tr-1");
  ASSERT_TRUE(t.is_ok());
  EXPECT_EQ(t->transfer_id(), "tr-1");
  EXPECT_EQ(*t->pseudonym("p_4ac4abbbcf36a12f2aa991cc45ae3d52"), "t_7f682341e3a49c1bdfdf274f802d39a8");
}

TEST(TransferPseudonymiser, TwoTransfersCannotBeJoined) {
  Pseudonymiser p(fixed_keys("eu", 7));
  auto t1 = p.for_transfer("transfer-0001");
  auto t1_again = p.for_transfer("transfer-0001");
  auto t2 = p.for_transfer("transfer-0002");
  ASSERT_TRUE(t1.is_ok() && t1_again.is_ok() && t2.is_ok());
  std::set<std::string> region, first, second;
  for (const auto& vin : some_vins()) {
    std::string rp = *p.pseudonym(vin);
    std::string a = *t1->pseudonym(rp);
    EXPECT_EQ(*t1_again->pseudonym(rp), a) << "stable within one transfer";
    EXPECT_EQ(a.rfind("t_", 0), 0u);
    region.insert(rp);
    first.insert(a);
    second.insert(*t2->pseudonym(rp));
  }
  EXPECT_EQ(first.size(), 200u);
  for (const auto& s : second) {
    EXPECT_FALSE(first.contains(s));
    EXPECT_FALSE(region.contains(s));
  }
  // The same transfer id under another region's key gives unrelated pseudonyms too.
  Pseudonymiser other(fixed_keys("eu", 8));
  auto t1_other = other.for_transfer("transfer-0001");
  ASSERT_TRUE(t1_other.is_ok());
  EXPECT_NE(*t1_other->pseudonym("p_x"), *t1->pseudonym("p_x"));
}

TEST(TransferPseudonymiser, RejectsAnEmptyTransferId) {
  auto t = Pseudonymiser(fixed_keys("eu", 1)).for_transfer("");
  ASSERT_FALSE(t.is_ok());
  EXPECT_EQ(t.status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace fleetgate::privacy
