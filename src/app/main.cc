// fleetgate: one binary, subcommands per feature (DESIGN.md).
#include <CLI/CLI.hpp>
#include <cstdlib>

#include "fleetgate/app/cli.h"

int main(int argc, char** argv) {
  using namespace fleetgate::app;
  CLI::App app{"fleetgate: AI for connected-vehicle fleets across jurisdictions"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "fleetgate 0.1.0");
  Cli cli;
  const char* env = std::getenv("FLEETGATE_CONFIG");
  cli.config_path = env != nullptr ? env : "config/fleetgate.toml";
  app.add_option("-c,--config", cli.config_path, "Config file (env FLEETGATE_CONFIG)");

  add_config_commands(app, cli);
  add_vin_commands(app, cli);
  add_fleet_commands(app, cli);
  add_fleet_cert_commands(app, cli);
  add_audit_commands(app, cli);
  add_ledger_commands(app, cli);
  add_transfer_commands(app, cli);
  add_user_commands(app, cli);
  add_serve_command(app, cli);
  add_sim_commands(app, cli);
  add_telemetry_commands(app, cli);
  add_train_commands(app, cli);
  add_curate_commands(app, cli);
  add_bench_client_command(app, cli);

  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();  // fail(): the message is already on stderr
  } catch (const CLI::ParseError& e) {
    // CLI11 numbers its parse errors 100 and up; one documented code serves them all. --help and
    // --version also arrive here, with exit code 0.
    const int printed = app.exit(e);
    return printed == 0 ? 0 : kExitUsage;
  }
  return 0;
}
