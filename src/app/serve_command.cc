// `fleetgate serve`: every region's API on one process (the embedded default).
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <iostream>
#include <memory>

#include "fleetgate/app/cli.h"
#include "fleetgate/app/service.h"

namespace fleetgate::app {
namespace {

// serve writes a line per request. Through the C library's stdout buffer, written out every
// kLogFlushEvery and at once from a warning up, that costs no write(2) per request. A line
// reaches stdout within kLogFlushEvery; a killed process loses at most that much of its access
// log (the usage log, not this, is the durable record of every request).
constexpr std::chrono::seconds kLogFlushEvery(1);  // spdlog flushes in whole seconds

void buffer_log() {
  auto logger = std::make_shared<spdlog::logger>("", std::make_shared<spdlog::sinks::ostream_sink_mt>(std::cout));
  logger->set_level(spdlog::default_logger()->level());
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
  spdlog::flush_every(kLogFlushEvery);
}

// Runs a command line from the admin socket as the CLI would, on the service's own objects: output
// to the caller, relative paths from the caller's folder, audited as the caller's account.
int run_admin_command(const AdminCall& call, Backend& backend, std::ostream& out, std::ostream& err) {
  Cli cli;
  cli.out_stream = &out;
  cli.err_stream = &err;
  cli.cwd = call.cwd;
  cli.actor = cli_actor_of(call.uid);
  cli.err_is_terminal = call.err_is_terminal;
  cli.served = &backend;
  std::string line;
  for (const auto& a : call.args) line += (line.empty() ? "" : " ") + a;
  const int code = run_command(call.args, cli);
  spdlog::info("admin command by {}: {} (exit {})", cli.actor, line, code);
  return code;
}

}  // namespace

void add_serve_command(CLI::App& app, Cli& cli) {
  auto port = std::make_shared<int>(-1);
  auto* serve = app.add_subcommand("serve", "Serve the HTTP API (registry, assistant gateway, telemetry) until SIGINT/SIGTERM (SIGHUP is ignored)");
  serve->add_option("--port", *port, "Listen port (overrides [server] port; 0 = ephemeral)")->check(CLI::Range(0, 65535));
  auto no_group_commit = std::make_shared<bool>(false);
  serve->add_flag("--no-group-commit", *no_group_commit,
                  "Sync every telemetry frame on its own instead of sharing WAL fsyncs (for benchmarks)");
  serve->callback([&cli, port, no_group_commit] {
    LoadedConfig loaded = must(load(cli.config_path));
    ServiceOptions options;
    if (*port >= 0) options.port = static_cast<uint16_t>(*port);
    options.ingest_group_commit = !*no_group_commit;
    options.admin = run_admin_command;
    auto service = must(Service::create(loaded, options));
    buffer_log();
    Status s = service->run([&] {
      spdlog::info("fleetgate listening on {}://{}:{} ({} regions)", loaded.config->server.tls ? "https" : "http",
                   loaded.config->server.listen_address,
                   service->port(), loaded.config->regions.size());
      spdlog::default_logger()->flush();  // whoever waits for this line sees it now
    });
    if (!s.is_ok()) fail(s);
    spdlog::info("fleetgate stopped");
  });
}

}  // namespace fleetgate::app
