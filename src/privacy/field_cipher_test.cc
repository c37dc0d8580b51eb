#include "fleetgate/privacy/field_cipher.h"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <thread>
#include <vector>

#include "fleetgate/privacy/test_keys.h"

namespace fleetgate::privacy {
namespace {

const FieldBinding kBinding{"p_4ac4abbbcf36a12f2aa991cc45ae3d52", 3};

void expect_data_loss(const Result<std::string>& r, std::string_view fragment) {
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), Code::kDataLoss);
  EXPECT_NE(r.status().message().find(fragment), std::string::npos) << r.status().message();
}

TEST(FieldCipher, RoundTripsWithTheDocumentedEnvelope) {
  FieldCipher cipher(fixed_keys("eu", 9, 2));
  for (std::string plain : {std::string(), std::string("52.520008,13.404954"), std::string(1000, '\x01')}) {
    auto sealed = cipher.seal(plain, kBinding);
    ASSERT_TRUE(sealed.is_ok());
    ASSERT_EQ(sealed->size(), kEnvelopeOverhead + plain.size());
    EXPECT_EQ((*sealed)[0], kEnvelopeVersion);
    EXPECT_EQ(sealed->substr(1, 4), std::string("\0\0\0\2", 4)) << "active key id, big-endian";
    if (!plain.empty()) {
      EXPECT_EQ(sealed->find(plain), std::string::npos);
    }
    auto opened = cipher.open(*sealed, kBinding);
    ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
    EXPECT_EQ(*opened, plain);
  }
}

TEST(FieldCipher, UsesAFreshNonceEachTime) {
  FieldCipher cipher(fixed_keys("eu", 9));
  auto a = cipher.seal("same", kBinding);
  auto b = cipher.seal("same", kBinding);
  EXPECT_NE(a->substr(5, 12), b->substr(5, 12));
  EXPECT_NE(*a, *b);
}

TEST(FieldCipher, NoncesNeverRepeatOverManySeals) {
  FieldCipher cipher(fixed_keys("eu", 9));
  std::set<std::string> nonces;
  constexpr int kSeals = 20'000;  // many times the block of nonces drawn from the DRBG at once
  for (int i = 0; i < kSeals; ++i) nonces.insert(cipher.seal("x", kBinding)->substr(5, 12));
  EXPECT_EQ(nonces.size(), static_cast<size_t>(kSeals));
}

TEST(FieldCipher, AForkedChildNeverReusesTheParentsNonces) {
  FieldCipher cipher(fixed_keys("eu", 9));
  ASSERT_TRUE(cipher.seal("fill the pool", kBinding).is_ok());
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto sealed = cipher.seal("child", kBinding);
    const std::string nonce = sealed.is_ok() ? sealed->substr(5, 12) : std::string();
    const bool sent = ::write(fds[1], nonce.data(), nonce.size()) == static_cast<ssize_t>(nonce.size());
    ::_exit(sent && !nonce.empty() ? 0 : 1);
  }
  ::close(fds[1]);
  const std::string parent_nonce = cipher.seal("parent", kBinding)->substr(5, 12);
  std::string child_nonce(12, '\0');
  const ssize_t n = ::read(fds[0], child_nonce.data(), child_nonce.size());
  ::close(fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_EQ(n, 12);
  EXPECT_NE(child_nonce, parent_nonce);
}

TEST(FieldCipher, CiphersWithDifferentKeysInterleaveOnOneThread) {
  // Same region and key id, different key bytes: only the key itself tells them apart.
  FieldCipher a(fixed_keys("eu", 9)), b(fixed_keys("eu", 10));
  for (int i = 0; i < 3; ++i) {
    auto by_a = a.seal("from a", kBinding);
    auto by_b = b.seal("from b", kBinding);
    ASSERT_TRUE(by_a.is_ok() && by_b.is_ok());
    EXPECT_EQ(*a.open(*by_a, kBinding), "from a");
    expect_data_loss(a.open(*by_b, kBinding), "failed authentication");
    EXPECT_EQ(*b.open(*by_b, kBinding), "from b");
    expect_data_loss(b.open(*by_a, kBinding), "failed authentication");
  }
}

TEST(FieldCipher, AnyFlippedBitIsDataLoss) {
  FieldCipher cipher(fixed_keys("eu", 9));
  auto sealed = cipher.seal("31.2304,121.4737", kBinding);
  ASSERT_TRUE(sealed.is_ok());
  for (size_t bit = 0; bit < sealed->size() * 8; ++bit) {
    std::string bad = *sealed;
    bad[bit / 8] = static_cast<char>(bad[bit / 8] ^ (1 << (bit % 8)));
    auto r = cipher.open(bad, kBinding);
    ASSERT_FALSE(r.is_ok()) << "bit " << bit;
    EXPECT_EQ(r.status().code(), Code::kDataLoss) << "bit " << bit;
  }
}

TEST(FieldCipher, ABlobMovedToAnotherRecordFieldOrRegionDoesNotOpen) {
  auto eu = fixed_keys("eu", 9);
  auto sealed = FieldCipher(eu).seal("48.8566,2.3522", kBinding);
  ASSERT_TRUE(sealed.is_ok());
  expect_data_loss(FieldCipher(eu).open(*sealed, {"p_4ac4abbbcf36a12f2aa991cc45ae3d53", 3}), "failed authentication");
  expect_data_loss(FieldCipher(eu).open(*sealed, {kBinding.pseudonym, 4}), "failed authentication");
  // Same key bytes, other region id: the region is bound too.
  expect_data_loss(FieldCipher(fixed_keys("us", 9)).open(*sealed, kBinding), "failed authentication");
}

TEST(FieldCipher, ClearBytesBesideTheEnvelopeAreAuthenticated) {
  auto eu = fixed_keys("eu", 9);
  const std::string clear = "speed=42;gear=D";
  const FieldBinding with_clear{kBinding.pseudonym, kBinding.field_id, clear};
  auto sealed = FieldCipher(eu).seal("48.8566,2.3522", with_clear);
  ASSERT_TRUE(sealed.is_ok());
  auto opened = FieldCipher(eu).open(*sealed, with_clear);
  ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
  EXPECT_EQ(*opened, "48.8566,2.3522");
  std::string edited = clear;
  edited[6] = '9';
  expect_data_loss(FieldCipher(eu).open(*sealed, {kBinding.pseudonym, kBinding.field_id, edited}), "failed authentication");
  expect_data_loss(FieldCipher(eu).open(*sealed, kBinding), "failed authentication");
  auto without = FieldCipher(eu).seal("48.8566,2.3522", kBinding);
  ASSERT_TRUE(without.is_ok());
  expect_data_loss(FieldCipher(eu).open(*without, with_clear), "failed authentication");
}

TEST(FieldCipher, WrongKeyIdTruncationAndVersionAreDataLoss) {
  auto newer = fixed_keys("eu", 9, 2);
  auto sealed = FieldCipher(newer).seal("x", kBinding);
  ASSERT_TRUE(sealed.is_ok());
  expect_data_loss(FieldCipher(fixed_keys("eu", 9, 1)).open(*sealed, kBinding), "key id 2, which is not in the keyring");
  expect_data_loss(FieldCipher(newer).open(sealed->substr(0, kEnvelopeOverhead - 1), kBinding), "truncated");
  expect_data_loss(FieldCipher(newer).open("", kBinding), "truncated");
  std::string v2 = *sealed;
  v2[0] = 2;
  expect_data_loss(FieldCipher(newer).open(v2, kBinding), "sealed under a vehicle's own key (envelope version 2)");
  std::string v3 = *sealed;
  v3[0] = 3;
  expect_data_loss(FieldCipher(newer).open(v3, kBinding), "unknown envelope version 3");
}

TEST(FieldCipher, VehicleKeysSealEnvelopesOfVersionTwoThatOnlyTheirKeyOpens) {
  auto keys = fixed_keys("eu", 9, 2);
  const FieldCipher cipher(keys);
  VehicleDataKey car{7, {}};
  car.key.fill(0x42);
  auto sealed = cipher.seal("48.1,11.6", kBinding, car);
  ASSERT_TRUE(sealed.is_ok()) << sealed.status().message();
  EXPECT_EQ((*sealed)[0], kVehicleEnvelopeVersion);
  EXPECT_EQ(FieldCipher::vehicle_key_generation(*sealed), std::optional<uint32_t>(7));
  auto opened = cipher.open(*sealed, kBinding, car);
  ASSERT_TRUE(opened.is_ok()) << opened.status().message();
  EXPECT_EQ(*opened, "48.1,11.6");

  // Neither the region's keys nor another generation or another vehicle's key open it, and a
  // region envelope does not open as a vehicle's.
  expect_data_loss(cipher.open(*sealed, kBinding), "vehicle's own key");
  VehicleDataKey next = car;
  next.generation = 8;
  expect_data_loss(cipher.open(*sealed, kBinding, next), "generation 7, not 8");
  VehicleDataKey other = car;
  other.key[31] ^= 1;
  expect_data_loss(cipher.open(*sealed, kBinding, other), "failed authentication");
  auto region_sealed = cipher.seal("x", kBinding);
  ASSERT_TRUE(region_sealed.is_ok());
  EXPECT_EQ(FieldCipher::vehicle_key_generation(*region_sealed), std::nullopt);
  expect_data_loss(cipher.open(*region_sealed, kBinding, car), "the region's key (envelope version 1)");
  // Relabelling a version-1 envelope as version 2 (same key bytes) fails: the version is bound.
  std::string relabelled = *sealed;
  relabelled[0] = kEnvelopeVersion;
  expect_data_loss(cipher.open(relabelled, kBinding), "not in the keyring");
}

TEST(FieldCipher, ThreadsSealAndOpenConcurrentlyAndAFailedOpenLeavesNoTrace) {
  // Each thread reuses one cipher context for every call: a refused envelope must not poison
  // the next seal or open on the same thread.
  auto keys = fixed_keys("eu", 9, 2);
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      FieldCipher cipher(keys);
      for (int i = 0; i < 200; ++i) {
        const std::string plain = "thread " + std::to_string(t) + " value " + std::to_string(i);
        auto sealed = cipher.seal(plain, kBinding);
        if (!sealed.is_ok()) {
          ++failures[t];
          continue;
        }
        std::string tampered = *sealed;
        tampered.back() ^= 1;
        if (cipher.open(tampered, kBinding).is_ok()) ++failures[t];
        auto opened = cipher.open(*sealed, kBinding);
        if (!opened.is_ok() || *opened != plain) ++failures[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures, std::vector<int>(4, 0));
}

}  // namespace
}  // namespace fleetgate::privacy
