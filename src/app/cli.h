// Shared plumbing of the fleetgate CLI: the global --config option, loading a validated config
// and reporting failures as one line on stderr with a non-zero exit.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "fleetgate/core/config.h"
#include "fleetgate/core/result.h"
#include "fleetgate/residency/policy.h"

namespace fleetgate::app {

struct Cli {
  std::string config_path;  // --config, else $FLEETGATE_CONFIG, else config/fleetgate.toml
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

// kExitDataError for kDataLoss, kExitUnavailable for kUnavailable, kExitFailure for the rest.
int exit_code_for(Code code);

// Prints "fleetgate: MESSAGE" on stderr and ends the command with exit code `code`.
[[noreturn]] void fail(const std::string& message, int code = kExitFailure);
[[noreturn]] inline void fail(const Status& s) { fail(s.message(), exit_code_for(s.code())); }

// The actor of audit entries made from the command line: "cli:$USER", else "cli:" and the account
// name of the effective uid (services and containers often run without $USER), else "cli:uid N".
std::string cli_actor();

// Unwraps a Result or fails the command with its error.
template <typename T>
T must(Result<T> r) {
  if (!r.is_ok()) fail(r.status());
  return std::move(r).value();
}

// Subcommand registration, one per file in src/app/.
void add_config_commands(CLI::App& app, Cli& cli);
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
void add_transfer_commands(CLI::App& app, Cli& cli);
void add_bench_client_command(CLI::App& app, Cli& cli);

}  // namespace fleetgate::app
