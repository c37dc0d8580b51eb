// `fleetgate serve`: every region's API on one process (the embedded default).
#include <spdlog/spdlog.h>

#include "fleetgate/app/cli.h"
#include "fleetgate/app/service.h"

namespace fleetgate::app {

void add_serve_command(CLI::App& app, Cli& cli) {
  auto port = std::make_shared<int>(-1);
  auto* serve = app.add_subcommand("serve", "Serve the HTTP API (registry, assistant gateway, telemetry) until SIGINT/SIGTERM");
  serve->add_option("--port", *port, "Listen port (overrides [server] port; 0 = ephemeral)")->check(CLI::Range(0, 65535));
  auto no_group_commit = std::make_shared<bool>(false);
  serve->add_flag("--no-group-commit", *no_group_commit,
                  "Sync every telemetry frame on its own instead of sharing WAL fsyncs (for benchmarks)");
  serve->callback([&cli, port, no_group_commit] {
    LoadedConfig loaded = must(load(cli.config_path));
    ServiceOptions options;
    if (*port >= 0) options.port = static_cast<uint16_t>(*port);
    options.ingest_group_commit = !*no_group_commit;
    auto service = must(Service::create(loaded, options));
    Status s = service->run([&] {
      spdlog::info("fleetgate listening on {}://{}:{} ({} regions)", loaded.config->server.tls ? "https" : "http",
                   loaded.config->server.listen_address,
                   service->port(), loaded.config->regions.size());
    });
    if (!s.is_ok()) fail(s);
    spdlog::info("fleetgate stopped");
  });
}

}  // namespace fleetgate::app
