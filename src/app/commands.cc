// The fleetgate command tree, and running one command line through it. The same tree runs a CLI
// process's own command line (main.cc) and the command lines the service receives on its admin
// socket (serve_command.cc).
#include <vector>

#include "fleetgate/app/build_info.h"
#include "fleetgate/app/cli.h"

namespace fleetgate::app {

void add_commands(CLI::App& app, Cli& cli) {
  add_config_commands(app, cli);
  add_migrate_command(app, cli);
  add_vin_commands(app, cli);
  add_fleet_commands(app, cli);
  add_vehicle_commands(app, cli);
  add_fleet_cert_commands(app, cli);
  add_audit_commands(app, cli);
  add_ledger_commands(app, cli);
  add_transfer_commands(app, cli);
  add_compliance_commands(app, cli);
  add_user_commands(app, cli);
  add_serve_command(app, cli);
  add_sim_commands(app, cli);
  add_telemetry_commands(app, cli);
  add_train_commands(app, cli);
  add_curate_commands(app, cli);
  add_bench_client_command(app, cli);
}

int run_command(const std::vector<std::string>& args, Cli& cli) {
  CLI::App app{"fleetgate: AI for connected-vehicle fleets across jurisdictions"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "fleetgate " + std::string(build_version()));
  app.add_option("-c,--config", cli.config_path, "Config file (env FLEETGATE_CONFIG)");
  add_commands(app, cli);
  std::vector<const char*> argv{"fleetgate"};
  for (const auto& a : args) argv.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CommandFailed& e) {
    cli.err() << "fleetgate: " << e.what() << "\n";
    return e.code();
  } catch (const CLI::ParseError& e) {
    // CLI11 numbers its parse errors 100 and up; one documented code serves them all. --help and
    // --version also arrive here, with exit code 0.
    const int printed = app.exit(e, cli.out(), cli.err());
    return printed == 0 ? 0 : kExitUsage;
  }
  cli.out().flush();
  return 0;
}

}  // namespace fleetgate::app
