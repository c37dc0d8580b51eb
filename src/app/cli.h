// Shared plumbing of the fleetgate CLI: one command's run (its global --config option, output
// streams, working folder and audit actor), loading a validated config, and ending a command as
// one line on stderr with a non-zero exit.
#pragma once

#include <sys/types.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "fleetgate/core/config.h"
#include "fleetgate/core/result.h"
#include "fleetgate/residency/policy.h"

namespace fleetgate::app {

class Backend;  // backend.h: what a command acts on

// One run of a command. A CLI process has one for its own command line; the running service makes
// one for each command line that arrives over its admin socket (admin_socket.h), with the
// caller's folder and account and its own backend.
struct Cli {
  std::string config_path;  // --config, else $FLEETGATE_CONFIG, else config/fleetgate.toml
  std::ostream* out_stream = &std::cout;
  std::ostream* err_stream = &std::cerr;
  std::filesystem::path cwd;     // relative path arguments resolve here; empty: the process's own
  std::string actor;             // audit actor; empty: cli_actor() of this process
  bool err_is_terminal = false;  // progress lines go to stderr only when it is a terminal
  Backend* served = nullptr;     // the running service's backend when it runs this command
  std::shared_ptr<Backend> offline;  // opened by backend() in a CLI process

  std::ostream& out() const { return *out_stream; }
  std::ostream& err() const { return *err_stream; }
  // `arg` as the caller meant it: relative paths are taken from the caller's folder.
  std::filesystem::path path(const std::string& arg) const;
  std::string who() const;  // the audit actor of this run
};

struct LoadedConfig {
  std::shared_ptr<const config::Config> config;
  std::shared_ptr<const residency::Policy> policy;
};

// Loads the config and builds the residency policy; both must accept it.
Result<LoadedConfig> load(const std::string& path);

// Exit codes of every command (README "Exit codes"); the last two are <sysexits.h> values.
inline constexpr int kExitFailure = 1;      // the command failed
inline constexpr int kExitUsage = 2;        // the command line does not parse (unknown option, missing argument)
inline constexpr int kExitDataError = 65;   // EX_DATAERR: stored data failed an integrity check (audit chain)
inline constexpr int kExitUnavailable = 69; // EX_UNAVAILABLE: a resource is unavailable (data dir in use, port taken)
inline constexpr int kExitNoPermission = 77; // EX_NOPERM: the admin socket refused the caller's account

// kExitDataError for kDataLoss, kExitUnavailable for kUnavailable, kExitFailure for the rest.
int exit_code_for(Code code);

// How fail() ends a command: whoever runs it prints "fleetgate: MESSAGE" on the command's stderr
// and exits with `code`.
class CommandFailed : public std::runtime_error {
 public:
  CommandFailed(const std::string& message, int code) : std::runtime_error(message), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

// Ends the command with `message` and exit code `code` (throws CommandFailed).
[[noreturn]] void fail(const std::string& message, int code = kExitFailure);
[[noreturn]] inline void fail(const Status& s) { fail(s.message(), exit_code_for(s.code())); }

// The actor of audit entries made from the command line: "cli:$USER", else "cli:" and the account
// name of the effective uid (services and containers often run without $USER), else "cli:uid N".
std::string cli_actor();
// "cli:" and the account name of `uid`, else "cli:uid N".
std::string cli_actor_of(uid_t uid);

// Adds every subcommand of the fleetgate binary to `app`; `cli` holds the run's state.
void add_commands(CLI::App& app, Cli& cli);
// Runs one command line (without the program name) on `cli`: returns the exit code, failures and
// parse errors printed on cli.err(). Throws ServedElsewhere (backend.h) when a running service
// must run it instead.
int run_command(const std::vector<std::string>& args, Cli& cli);

// Unwraps a Result or fails the command with its error.
template <typename T>
T must(Result<T> r) {
  if (!r.is_ok()) fail(r.status());
  return std::move(r).value();
}

// Subcommand registration, one per file in src/app/.
void add_config_commands(CLI::App& app, Cli& cli);
void add_migrate_command(CLI::App& app, Cli& cli);
void add_user_commands(CLI::App& app, Cli& cli);
void add_serve_command(CLI::App& app, Cli& cli);
void add_vin_commands(CLI::App& app, Cli& cli);
void add_fleet_commands(CLI::App& app, Cli& cli);
// REQUIRES: after add_fleet_commands (adds fleet ca|cert|server-cert).
void add_fleet_cert_commands(CLI::App& app, Cli& cli);
void add_audit_commands(CLI::App& app, Cli& cli);
void add_sim_commands(CLI::App& app, Cli& cli);
void add_telemetry_commands(CLI::App& app, Cli& cli);
void add_ledger_commands(CLI::App& app, Cli& cli);
void add_train_commands(CLI::App& app, Cli& cli);
void add_curate_commands(CLI::App& app, Cli& cli);
void add_vehicle_commands(CLI::App& app, Cli& cli);
void add_transfer_commands(CLI::App& app, Cli& cli);
void add_compliance_commands(CLI::App& app, Cli& cli);
void add_bench_client_command(CLI::App& app, Cli& cli);

}  // namespace fleetgate::app
