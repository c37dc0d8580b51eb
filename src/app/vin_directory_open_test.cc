#include "fleetgate/app/vin_directory_open.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "fleetgate/store/embedded_store.h"
#include "fleetgate/store/test_dir.h"

namespace fleetgate::app {
namespace {

constexpr const char* kVin = "LRW3E7EA8PC390117";
constexpr const char* kKeyVariable = "FG_TEST_DIRECTORY_KEY";
const std::string kHexKey(64, 'a');

class VinDirectoryOpenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::unsetenv(kKeyVariable);
    auto s = store::open_embedded(dir_ / "control");
    ASSERT_TRUE(s.is_ok()) << s.status().to_string();
    control_ = std::move(s).value();
  }
  void TearDown() override { ::unsetenv(kKeyVariable); }

  // A config of one region with `extra` TOML appended, its data dir in the test's directory.
  config::Config config(const std::string& extra = "") {
    const std::string text = "[server]\ndata_dir = \"" + (dir_ / "data").string() +
                             "\"\n[[regions]]\nid = \"cn\"\nchain = [\"onboard\"]\n[markets]\nCN = \"cn\"\n"
                             "[[providers]]\nid = \"onboard\"\nkind = \"onboard\"\nlocation = \"vehicle\"\n"
                             "models = [\"m\"]\n[directory]\nkey_env = \"" + std::string(kKeyVariable) + "\"\n" + extra;
    auto c = config::parse_config(text, dir_ / "t.toml");
    EXPECT_TRUE(c.is_ok()) << c.status().to_string();
    return c.is_ok() ? *c : config::Config{};
  }

  Result<std::string> record_then_locate(const config::Config& write_with, const config::Config& read_with) {
    auto writer = open_vin_directory(write_with, *control_);
    if (!writer.is_ok()) return writer.status();
    if (Status s = writer->directory->record({{kVin, "cn"}}); !s.is_ok()) return s;
    auto reader = open_vin_directory(read_with, *control_);
    if (!reader.is_ok()) return reader.status();
    return reader->directory->locate(kVin);
  }

  void write_key_file(const std::filesystem::path& path, const std::string& text, mode_t mode) {
    std::ofstream(path) << text << "\n";
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
  }

  store::TestDir dir_;
  std::unique_ptr<store::KvStore> control_;
};

TEST_F(VinDirectoryOpenTest, EmbeddedCreatesItsKeyOnceAndKeepsIt) {
  EXPECT_EQ(record_then_locate(config(), config()).value(), "cn");
  EXPECT_TRUE(std::filesystem::exists(dir_ / "data" / "privacy.keyring"));
  EXPECT_EQ(control_->scan("")->key().rfind("directory/vin/", 0), 0u) << "in the control store, under its prefix";
}

TEST_F(VinDirectoryOpenTest, TheEnvironmentKeyWinsAndTheSameKeyFindsTheEntry) {
  ASSERT_EQ(::setenv(kKeyVariable, kHexKey.c_str(), 1), 0);
  const std::filesystem::path file = dir_ / "dir.key";
  ASSERT_NO_FATAL_FAILURE(write_key_file(file, kHexKey, 0600));
  // Written with the environment's key, read with the file holding the same key.
  Result<std::string> found = [&] {
    auto writer = open_vin_directory(config(), *control_);
    EXPECT_TRUE(writer.is_ok()) << writer.status().to_string();
    EXPECT_TRUE(writer->directory->record({{kVin, "cn"}}).is_ok());
    ::unsetenv(kKeyVariable);
    auto reader = open_vin_directory(config("key_file = \"" + file.string() + "\"\n"), *control_);
    EXPECT_TRUE(reader.is_ok()) << reader.status().to_string();
    return reader->directory->locate(kVin);
  }();
  EXPECT_EQ(found.value(), "cn");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "data" / "privacy.keyring")) << "no key created beside a given one";
}

TEST_F(VinDirectoryOpenTest, BadKeysAreRefusedNamingTheirSource) {
  ASSERT_EQ(::setenv(kKeyVariable, "abc", 1), 0);
  auto bad = open_vin_directory(config(), *control_);
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_NE(bad.status().message().find(std::string("$") + kKeyVariable), std::string::npos) << bad.status().message();
  ::unsetenv(kKeyVariable);

  const std::filesystem::path file = dir_ / "dir.key";
  ASSERT_NO_FATAL_FAILURE(write_key_file(file, kHexKey, 0644));
  auto loose = open_vin_directory(config("key_file = \"" + file.string() + "\"\n"), *control_);
  EXPECT_EQ(loose.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(loose.status().message().find("mode 0600"), std::string::npos) << loose.status().message();
}

TEST_F(VinDirectoryOpenTest, ASharedDirectoryNeedsAKeyEveryNodeHolds) {
  for (const std::string extra : {"dsn_env = \"FG_TEST_DIRECTORY_DSN\"\n", "[control]\nbackend = \"postgres\"\n"}) {
    auto opened = open_vin_directory(config(extra), *control_);
    EXPECT_EQ(opened.status().code(), Code::kFailedPrecondition) << extra;
    EXPECT_NE(opened.status().message().find(std::string("$") + kKeyVariable), std::string::npos)
        << opened.status().message();
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ / "data" / "privacy.keyring"));
}

}  // namespace
}  // namespace fleetgate::app
