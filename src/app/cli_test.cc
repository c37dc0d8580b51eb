#include "fleetgate/app/cli.h"

#include <gtest/gtest.h>

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <string>

namespace fleetgate::app {
namespace {

// Sets or unsets $USER for one test and restores it.
class UserEnv {
 public:
  explicit UserEnv(const char* value) {
    if (const char* old = std::getenv("USER")) saved_ = old;
    if (value != nullptr) setenv("USER", value, 1);
    else unsetenv("USER");
  }
  ~UserEnv() {
    if (saved_) setenv("USER", saved_->c_str(), 1);
    else unsetenv("USER");
  }

 private:
  std::optional<std::string> saved_;
};

TEST(CliActor, NamesTheUserFromTheEnvironment) {
  UserEnv env("dpo-anna");
  EXPECT_EQ(cli_actor(), "cli:dpo-anna");
}

TEST(CliActor, WithoutUserNamesTheAccountOfTheEffectiveUid) {
  UserEnv env(nullptr);
  const passwd* pw = getpwuid(geteuid());
  ASSERT_NE(pw, nullptr) << "this test needs an account for uid " << geteuid();
  EXPECT_EQ(cli_actor(), std::string("cli:") + pw->pw_name);
  UserEnv empty("");
  EXPECT_EQ(cli_actor(), std::string("cli:") + pw->pw_name);
}

}  // namespace
}  // namespace fleetgate::app
