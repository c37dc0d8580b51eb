#include "fleetgate/transfer/bundle.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json/serialize.hpp>
#include <filesystem>

#include "fleetgate/store/test_dir.h"

namespace fleetgate::transfer {
namespace {

namespace fs = std::filesystem;

// A published bundle "b" holding one content file, and the key that signed it.
class BundleFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto key = SigningKey::open(dir_ / "key");
    ASSERT_TRUE(key.is_ok()) << key.status().to_string();
    key_ = std::move(key).value();
    Manifest m;
    m.transfer_id = "tr_1";
    m.source_region = "cn";
    m.dest_region = "eu";
    m.data_class = "desensitised";
    auto published = publish_bundle(dir_.path(), "b", m, {{std::string(kRecordsFile), "{\"a\":1}\n"}}, *key_);
    ASSERT_TRUE(published.is_ok()) << published.status().to_string();
    EXPECT_EQ(published->manifest.file_bytes.at(std::string(kRecordsFile)), 8u);
  }

  fs::path bundle() const { return dir_ / "b"; }
  Status read() const { return read_bundle(bundle(), key_->public_pem()).status(); }

  store::TestDir dir_;
  std::unique_ptr<SigningKey> key_;
};

TEST_F(BundleFilesTest, APublishedBundleReadsBack) {
  auto content = read_bundle(bundle(), key_->public_pem());
  ASSERT_TRUE(content.is_ok()) << content.status().to_string();
  EXPECT_EQ(content->files.at(std::string(kRecordsFile)), "{\"a\":1}\n");
}

TEST_F(BundleFilesTest, AFifoNamedManifestIsRefusedNotWaitedOn) {
  ASSERT_TRUE(fs::remove(bundle() / kManifestFile));
  ASSERT_EQ(::mkfifo((bundle() / kManifestFile).c_str(), 0600), 0);
  const Status s = read();  // blocked forever before: open(2) of a FIFO waits for a writer
  EXPECT_EQ(s.code(), Code::kDataLoss);
  EXPECT_NE(s.message().find("not a regular file"), std::string::npos) << s.message();
  EXPECT_EQ(peek_manifest(bundle()).status().code(), Code::kDataLoss);
}

TEST_F(BundleFilesTest, ASymlinkedFileIsRefused) {
  const fs::path records = bundle() / kRecordsFile;
  fs::rename(records, dir_ / "elsewhere");
  fs::create_symlink(dir_ / "elsewhere", records);
  const Status s = read();
  EXPECT_EQ(s.code(), Code::kDataLoss);
  EXPECT_NE(s.message().find("symbolic link"), std::string::npos) << s.message();
}

TEST_F(BundleFilesTest, FilesLargerThanTheirCapAreRefusedUnread) {
  // Sparse files: a size far beyond any cap costs no disk and, refused by size, no memory.
  fs::resize_file(bundle() / kRecordsFile, uint64_t{1} << 34);
  Status s = read();
  EXPECT_EQ(s.code(), Code::kDataLoss);
  EXPECT_NE(s.message().find("larger than the 8 bytes allowed"), std::string::npos) << s.message();
  fs::resize_file(bundle() / kManifestFile, uint64_t{1} << 34);
  s = read();
  EXPECT_EQ(s.code(), Code::kDataLoss);
  EXPECT_NE(s.message().find("larger than the 1048576 bytes allowed"), std::string::npos) << s.message();
}

TEST(ManifestJson, FileSizesMustNameExactlyTheFiles) {
  Manifest m;
  m.files = {{"records.jsonl", "ab"}};
  m.file_bytes = {{"records.jsonl", 2}};
  const std::string good = boost::json::serialize(to_json(m));
  auto back = manifest_from_json(good);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_EQ(*back, m);
  m.file_bytes = {{"other", 2}};
  EXPECT_EQ(manifest_from_json(boost::json::serialize(to_json(m))).status().code(), Code::kDataLoss);
  m.file_bytes.clear();
  EXPECT_EQ(manifest_from_json(boost::json::serialize(to_json(m))).status().code(), Code::kDataLoss);
}

}  // namespace
}  // namespace fleetgate::transfer
