// `fleetgate migrate`: brings the control database of [control] backend = "postgres", the
// directory database of [directory] dsn_env, and the query store of each served region whose
// telemetry log is "jetstream", to the schemas this binary needs (store/pg_store.h,
// query_store/region_schema.h).
// Safe to run again and while nodes serve; with neither there is nothing to migrate.
#include "fleetgate/app/cli.h"
#include "fleetgate/app/region_telemetry_open.h"
#include "fleetgate/app/vin_directory_open.h"
#include "fleetgate/query_store/region_schema.h"
#include "fleetgate/store/data_dir.h"
#include "fleetgate/store/pg_store.h"

namespace fleetgate::app {

void add_migrate_command(CLI::App& app, Cli& cli) {
  auto* cmd = app.add_subcommand(
      "migrate", "Apply the schema migrations of the PostgreSQL databases the config names (control, directory, region query stores)");
  cmd->callback([&cli] {
    const LoadedConfig loaded = must(load(cli.config_path));
    const bool control = loaded.config->control.backend == config::ControlSettings::Backend::kPostgres;
    const bool directory = !loaded.config->directory.dsn_env.empty();
    std::vector<const config::Region*> streamed;
    for (const config::Region& r : loaded.config->regions) {
      if (loaded.config->serves(r.id) && r.telemetry.log == config::RegionTelemetrySettings::Log::kJetStream) {
        streamed.push_back(&r);
      }
    }
    if (!control && !directory && streamed.empty()) {
      cli.out() << "nothing to migrate: [control] backend is \"embedded\" and no region's telemetry is on JetStream\n";
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
    for (const config::Region* r : streamed) {
      const int version = must(query_store::migrate_region_pg(must(region_dsn(*r))));
      cli.out() << "region " << r->id << " query store at schema version " << version << "\n";
    }
  });
}

}  // namespace fleetgate::app
