#include "fleetgate/app/cli.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <vector>

namespace fleetgate::app {

Result<LoadedConfig> load(const std::string& path) {
  auto cfg = config::load_config(path);
  if (!cfg.is_ok()) return cfg.status();
  auto shared = std::make_shared<const config::Config>(std::move(cfg).value());
  auto policy = residency::Policy::create(shared);
  if (!policy.is_ok()) return policy.status();
  return LoadedConfig{shared, std::make_shared<const residency::Policy>(std::move(policy).value())};
}

std::string cli_actor() {
  if (const char* user = std::getenv("USER"); user != nullptr && *user != '\0') return std::string("cli:") + user;
  // Services, cron jobs and containers often run without $USER: name the account instead.
  return cli_actor_of(geteuid());
}

std::string cli_actor_of(uid_t uid) {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr && *found->pw_name != '\0') {
    return std::string("cli:") + found->pw_name;
  }
  return "cli:uid " + std::to_string(uid);
}

std::filesystem::path Cli::path(const std::string& arg) const {
  const std::filesystem::path p(arg);
  return p.is_relative() && !cwd.empty() ? cwd / p : p;
}

std::string Cli::who() const { return actor.empty() ? cli_actor() : actor; }

int exit_code_for(Code code) {
  switch (code) {
    case Code::kDataLoss: return kExitDataError;
    case Code::kUnavailable: return kExitUnavailable;
    default: return kExitFailure;
  }
}

void fail(const std::string& message, int code) { throw CommandFailed(message, code); }

}  // namespace fleetgate::app
