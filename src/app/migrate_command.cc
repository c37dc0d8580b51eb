// `fleetgate migrate`: brings the control database of [control] backend = "postgres", and the
// directory database of [directory] dsn_env, to the schema this binary needs (store/pg_store.h).
// Safe to run again and while nodes serve; with neither there is nothing to migrate.
#include "fleetgate/app/cli.h"
#include "fleetgate/app/vin_directory_open.h"
#include "fleetgate/store/data_dir.h"
#include "fleetgate/store/pg_store.h"

namespace fleetgate::app {

void add_migrate_command(CLI::App& app, Cli& cli) {
  auto* cmd = app.add_subcommand("migrate", "Apply the control database's schema migrations ([control] backend = \"postgres\")");
  cmd->callback([&cli] {
    const LoadedConfig loaded = must(load(cli.config_path));
    const bool control = loaded.config->control.backend == config::ControlSettings::Backend::kPostgres;
    const bool directory = !loaded.config->directory.dsn_env.empty();
    if (!control && !directory) {
      cli.out() << "nothing to migrate: [control] backend is \"embedded\"\n";
      return;
    }
    if (control) {
      const int version = must(store::migrate_pg(must(store::control_dsn(*loaded.config))));
      cli.out() << "control database at schema version " << version << "\n";
    }
    if (directory) {
      const int version = must(store::migrate_pg(must(directory_dsn(*loaded.config))));
      cli.out() << "directory database at schema version " << version << "\n";
    }
  });
}

}  // namespace fleetgate::app
