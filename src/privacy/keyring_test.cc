#include "fleetgate/privacy/keyring.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <iterator>

#include "fleetgate/privacy/field_cipher.h"
#include "fleetgate/privacy/pseudonymiser.h"
#include "fleetgate/store/test_dir.h"

namespace fleetgate::privacy {
namespace {

namespace fs = std::filesystem;
using store::TestDir;

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void write_all(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
}

std::shared_ptr<const RegionKeys> open_ok(const fs::path& dir, std::string_view region) {
  auto keys = RegionKeys::open(dir, region);
  EXPECT_TRUE(keys.is_ok()) << keys.status().to_string();
  return keys.is_ok() ? *keys : nullptr;
}

TEST(RegionKeys, FirstOpenCreatesAPrivateFileAndReopenLoadsTheSameKeys) {
  TestDir dir;
  auto first = open_ok(dir / "eu", "eu");
  ASSERT_NE(first, nullptr);
  struct stat st {};
  ASSERT_EQ(::stat((dir / "eu" / std::string(kKeyringFileName)).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(first->region(), "eu");
  EXPECT_EQ(first->active_key_id(), 1u);
  EXPECT_EQ(first->key_ids(), std::vector<uint32_t>{1});
  EXPECT_FALSE(fs::exists(dir / "eu" / "privacy.keyring.tmp"));

  auto again = open_ok(dir / "eu", "eu");
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(*Pseudonymiser(first).pseudonym("WVWZZZ1JZXW000001"), *Pseudonymiser(again).pseudonym("WVWZZZ1JZXW000001"));
  auto sealed = FieldCipher(first).seal("secret", {"p_x", 3});
  ASSERT_TRUE(sealed.is_ok());
  EXPECT_EQ(*FieldCipher(again).open(*sealed, {"p_x", 3}), "secret");
}

TEST(RegionKeys, RegionsGetIndependentKeys) {
  TestDir dir;
  auto eu = open_ok(dir / "eu", "eu");
  auto cn = open_ok(dir / "cn", "cn");
  ASSERT_NE(eu, nullptr);
  ASSERT_NE(cn, nullptr);
  EXPECT_NE(*Pseudonymiser(eu).pseudonym("LSVAU2180N2183294"), *Pseudonymiser(cn).pseudonym("LSVAU2180N2183294"));
}

TEST(RegionKeys, RefusesPermissionsLooserThan0600) {
  TestDir dir;
  ASSERT_NE(open_ok(dir.path(), "us"), nullptr);
  const fs::path file = dir / std::string(kKeyringFileName);
  for (mode_t mode : {0644, 0640, 0604, 0660}) {
    ASSERT_EQ(::chmod(file.c_str(), mode), 0);
    auto keys = RegionKeys::open(dir.path(), "us");
    ASSERT_FALSE(keys.is_ok());
    EXPECT_EQ(keys.status().code(), Code::kFailedPrecondition);
    char expect[8];
    std::snprintf(expect, sizeof expect, "%04o", static_cast<unsigned>(mode));
    EXPECT_NE(keys.status().message().find(expect), std::string::npos) << keys.status().message();
    EXPECT_FALSE(RegionKeys::rotate(dir.path(), "us").is_ok());
  }
  ASSERT_EQ(::chmod(file.c_str(), 0400), 0);
  EXPECT_TRUE(RegionKeys::open(dir.path(), "us").is_ok());
}

TEST(RegionKeys, RefusesASymlink) {
  TestDir dir;
  ASSERT_NE(open_ok(dir / "real", "us"), nullptr);
  fs::create_directories(dir / "link");
  fs::create_symlink(dir / "real" / std::string(kKeyringFileName), dir / "link" / std::string(kKeyringFileName));
  auto keys = RegionKeys::open(dir / "link", "us");
  ASSERT_FALSE(keys.is_ok());
  EXPECT_EQ(keys.status().code(), Code::kFailedPrecondition);
}

TEST(RegionKeys, RefusesACorruptFileAndLeavesItAlone) {
  TestDir dir;
  ASSERT_NE(open_ok(dir.path(), "cn"), nullptr);
  const fs::path file = dir / std::string(kKeyringFileName);
  const std::string good = read_all(file);
  for (size_t i = 0; i < good.size(); i += 7) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x40);
    write_all(file, bad);
    auto keys = RegionKeys::open(dir.path(), "cn");
    ASSERT_FALSE(keys.is_ok()) << "byte " << i;
    EXPECT_EQ(keys.status().code(), Code::kDataLoss);
    EXPECT_NE(keys.status().message().find("corrupt"), std::string::npos);
    EXPECT_EQ(read_all(file), bad) << "a corrupt keyring must not be replaced";
  }
  for (size_t len : {size_t{0}, size_t{3}, good.size() - 1}) {
    write_all(file, good.substr(0, len));
    auto keys = RegionKeys::open(dir.path(), "cn");
    ASSERT_FALSE(keys.is_ok());
    EXPECT_EQ(keys.status().code(), Code::kDataLoss) << len;
  }
  write_all(file, good);
  EXPECT_TRUE(RegionKeys::open(dir.path(), "cn").is_ok());
}

TEST(RegionKeys, RefusesAnotherRegionsKeyring) {
  TestDir dir;
  ASSERT_NE(open_ok(dir.path(), "cn"), nullptr);
  auto keys = RegionKeys::open(dir.path(), "eu");
  ASSERT_FALSE(keys.is_ok());
  EXPECT_EQ(keys.status().code(), Code::kDataLoss);
  EXPECT_NE(keys.status().message().find("belongs to region 'cn'"), std::string::npos);
}

TEST(RegionKeys, RejectsBadRegionIds) {
  TestDir dir;
  for (std::string_view bad : {"", "EU", "e u", "../x", "0123456789012345678901234567890123"}) {
    auto keys = RegionKeys::open(dir.path(), bad);
    ASSERT_FALSE(keys.is_ok()) << bad;
    EXPECT_EQ(keys.status().code(), Code::kInvalidArgument);
  }
}

TEST(RegionKeys, RotationKeepsOldKeysForReading) {
  TestDir dir;
  auto before = open_ok(dir.path(), "eu");
  ASSERT_NE(before, nullptr);
  auto old_blob = FieldCipher(before).seal("41.1,2.2", {"p_1", 3});
  ASSERT_TRUE(old_blob.is_ok());

  auto rotated = RegionKeys::rotate(dir.path(), "eu");
  ASSERT_TRUE(rotated.is_ok()) << rotated.status().to_string();
  EXPECT_EQ(*rotated, 2u);
  EXPECT_EQ(*RegionKeys::rotate(dir.path(), "eu"), 3u);

  auto after = open_ok(dir.path(), "eu");
  ASSERT_NE(after, nullptr);
  EXPECT_EQ(after->active_key_id(), 3u);
  EXPECT_EQ(after->key_ids(), (std::vector<uint32_t>{1, 2, 3}));
  EXPECT_EQ(*FieldCipher(after).open(*old_blob, {"p_1", 3}), "41.1,2.2");
  EXPECT_EQ(*Pseudonymiser(after).pseudonym("WVWZZZ1JZXW000001"), *Pseudonymiser(before).pseudonym("WVWZZZ1JZXW000001"))
      << "rotation must not change pseudonyms (they are store keys)";

  auto new_blob = FieldCipher(after).seal("x", {"p_1", 3});
  ASSERT_TRUE(new_blob.is_ok());
  EXPECT_EQ(new_blob->substr(1, 4), std::string("\0\0\0\3", 4));
  auto stale = FieldCipher(before).open(*new_blob, {"p_1", 3});
  ASSERT_FALSE(stale.is_ok());
  EXPECT_EQ(stale.status().code(), Code::kDataLoss);
  struct stat st {};
  ASSERT_EQ(::stat((dir / std::string(kKeyringFileName)).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
}

TEST(RegionKeys, RotateNeedsAnExistingKeyring) {
  TestDir dir;
  auto r = RegionKeys::rotate(dir.path(), "eu");
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), Code::kNotFound);
}

}  // namespace
}  // namespace fleetgate::privacy
