// `fleetgate serve`: every region's API on one process (the embedded default).
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <tuple>
#include <utility>

#include "fleetgate/app/cli.h"
#include "fleetgate/app/deployment_check.h"
#include "fleetgate/app/service.h"
#include "fleetgate/core/config_changes.h"
#include "fleetgate/core/log_line.h"

namespace fleetgate::app {
namespace {

// serve writes a line per request. Through the C library's stdout buffer, written out every
// kLogFlushEvery and at once from a warning up, that costs no write(2) per request. A line
// reaches stdout within kLogFlushEvery; a killed process loses at most that much of its access
// log (the usage log, not this, is the durable record of every request).
constexpr std::chrono::seconds kLogFlushEvery(1);  // spdlog flushes in whole seconds

// Lines in the format and from the level [log] sets.
void buffer_log(const config::LogSettings& settings) {
  auto logger = std::make_shared<spdlog::logger>("", std::make_shared<spdlog::sinks::ostream_sink_mt>(std::cout));
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
  apply_log_settings(settings);
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

// The config file's text (for the changes a reload logs); empty when it cannot be read, which
// load() reports.
std::string file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A configuration `serve` may switch to: loaded, checked as `config check` does, with the texts of
// its file and of the ledger terms beside it.
struct Generation {
  LoadedConfig loaded;
  std::string text;
  std::string terms_text;
};

Result<Generation> load_generation(const std::string& path) {
  Generation g{{}, file_text(path), {}};
  auto loaded = load(path);
  if (!loaded.is_ok()) return loaded.status();
  auto terms = check_deployment(*loaded);
  if (!terms.is_ok()) return terms.status();
  if (*terms) g.terms_text = file_text(terms->value().string());
  g.loaded = std::move(loaded).value();
  return g;
}

// One log line per change from `before` to `after` (the config, then the ledger terms).
void log_changes(const Generation& before, const Generation& after) {
  size_t n = 0;
  for (const auto& [what, old_text, new_text] : {std::tuple{"config", &before.text, &after.text},
                                                 std::tuple{"ledger terms", &before.terms_text, &after.terms_text}}) {
    auto changes = config::toml_changes(*old_text, *new_text);
    if (!changes.is_ok()) continue;  // both texts were checked as they were loaded
    for (const std::string& change : *changes) {
      spdlog::info("reload: {} {}", what, change);
      ++n;
    }
  }
  if (n == 0) spdlog::info("reload: nothing changed");
}

}  // namespace

void add_serve_command(CLI::App& app, Cli& cli) {
  auto port = std::make_shared<int>(-1);
  auto* serve = app.add_subcommand("serve", "Serve the HTTP API (registry, assistant gateway, telemetry) until SIGINT/SIGTERM; SIGHUP reloads the config");
  serve->add_option("--port", *port, "Listen port (overrides [server] port; 0 = ephemeral)")->check(CLI::Range(0, 65535));
  auto no_group_commit = std::make_shared<bool>(false);
  serve->add_flag("--no-group-commit", *no_group_commit,
                  "Sync every telemetry frame on its own instead of sharing WAL fsyncs (for benchmarks)");
  serve->callback([&cli, port, no_group_commit] {
    // A SIGHUP while no service waits for signals (starting, or between two configurations)
    // would end the process: it is ignored then. Each service's run() catches it while it serves.
    std::signal(SIGHUP, SIG_IGN);
    Generation current = must(load_generation(cli.config_path));
    std::optional<Generation> previous;  // the one a failed reload returns to
    int listen_fd = -1;                  // handed from each service to the next
    for (bool first = true;; first = false) {
      ServiceOptions options;
      if (*port >= 0) options.port = static_cast<uint16_t>(*port);
      options.ingest_group_commit = !*no_group_commit;
      options.admin = run_admin_command;
      options.listen_fd = std::exchange(listen_fd, -1);
      std::unique_ptr<Service> service;
      std::optional<Generation> next;
      // SIGHUP: the new file is loaded and checked while this service keeps serving; only a file
      // that passes replaces it, and its listening socket carries over.
      options.on_hangup = [&] {
        auto loaded = load_generation(cli.config_path);
        if (!loaded.is_ok()) {
          spdlog::error("reload refused, the configuration in use stays: {}", loaded.status().message());
          return false;
        }
        const config::ServerOptions& now = current.loaded.config->server;
        const config::ServerOptions& then = loaded->loaded.config->server;
        if (then.listen_address == now.listen_address && (*port >= 0 || then.port == now.port)) {
          listen_fd = service->duplicate_listener();
          if (listen_fd < 0) {
            spdlog::error("reload refused, the configuration in use stays: cannot keep the listening socket");
            return false;
          }
        }
        log_changes(current, *loaded);
        next = std::move(loaded).value();
        spdlog::info("reload: draining the requests in flight, then serving the new configuration");
        return true;
      };
      // A reloaded config that passed the checks but cannot open or serve (a keys path that
      // cannot be read, a new port already taken): the previous one again. Nothing to go back
      // to: serve fails.
      auto fall_back = [&](const Status& why) {
        if (first || !previous) fail(why);
        spdlog::error("reload failed, serving the previous configuration again: {}", why.to_string());
        current = std::move(*previous);
        previous.reset();
      };
      auto created = Service::create(current.loaded, options);
      if (!created.is_ok()) {
        fall_back(created.status());
        continue;
      }
      service = std::move(created).value();
      if (first) buffer_log(current.loaded.config->log);
      else apply_log_settings(current.loaded.config->log);
      const auto& c = *current.loaded.config;
      Status s = service->run([&] {
        spdlog::info("fleetgate listening on {}://{}:{} ({} regions)", c.server.tls ? "https" : "http",
                     c.server.listen_address, service->port(), c.regions.size());
        spdlog::default_logger()->flush();  // whoever waits for this line sees it now
      });
      std::signal(SIGHUP, SIG_IGN);  // run() gave SIGHUP back its default action
      service.reset();  // its stores closed before the next service opens them
      if (!s.is_ok()) {
        fall_back(s);
        continue;
      }
      if (!next) break;
      previous = std::move(current);
      current = std::move(*next);
    }
    spdlog::info("fleetgate stopped");
  });
}

}  // namespace fleetgate::app
