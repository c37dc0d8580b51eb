// The running fleetgate: the control plane, the HTTP server and every feature's routes, built
// from one loaded config. `serve` runs it until SIGINT/SIGTERM; integration tests start it
// in-process on an ephemeral port.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "fleetgate/app/admin_socket.h"
#include "fleetgate/app/backend.h"
#include "fleetgate/app/cli.h"
#include "fleetgate/app/control_plane.h"
#include "fleetgate/core/result.h"
#include "fleetgate/http/router.h"
#include "fleetgate/ledger/usage_log.h"
#include "fleetgate/transfer/transfer_service.h"

namespace fleetgate::app {

// Runs one command line from the admin socket against the service's backend.
using AdminRunner = std::function<int(const AdminCall& call, Backend& backend, std::ostream& out, std::ostream& err)>;

struct ServiceOptions {
  std::optional<uint16_t> port;  // overrides [server] port; 0 = ephemeral
  bool ingest_group_commit = true;  // false: one WAL fsync per telemetry frame (for comparison)
  // Runs the command lines the admin socket receives while the service runs; empty: no admin
  // socket (`serve` passes the CLI's command tree).
  AdminRunner admin;
  // Usage records that may wait for the usage writer; while that many wait, chat requests are
  // shed with 503 and Retry-After (GatewayDeps::usage_queue).
  size_t usage_queue = 65536;
  // Fault injection, as LevelDB's Env: the store each region's usage log writes through, made
  // from the region's own store; set, the log is embedded in it even for a region whose telemetry
  // is on JetStream (unset: open_usage_log's choice). Tests stall the usage writer with it.
  StoreLayer usage_store;
  // The control plane's clock (audit entries, transfers and their cross-border months, grants);
  // a simulation runs a year of them in seconds with its own.
  audit::Clock clock = audit::system_clock_ms;
  // Fault injection likewise: the store the control plane (registry, credentials, audit) uses,
  // made from the opened control store; unset: that store.
  StoreLayer control_store;
  // Passed to the HTTP server (http::ServerOptions): what SIGHUP does while run() waits, and a
  // listening socket handed over by the service this one replaces.
  std::function<bool()> on_hangup;
  int listen_fd = -1;
};

class Service {
 public:
  // Opens the stores and registers every route. kUnavailable when another process holds the
  // data dir.
  static Result<std::unique_ptr<Service>> create(LoadedConfig loaded, ServiceOptions options = {});
  ~Service();

  // Starts the HTTP server, then the admin socket when ServiceOptions::admin is set.
  Status start();
  uint16_t port() const;
  // A new descriptor of the HTTP listening socket, for the next service (ServiceOptions::listen_fd).
  int duplicate_listener() const;
  // Closes the admin socket (after its running commands end), then stops the HTTP server.
  void stop();
  // start(), call `on_started`, block until SIGINT or SIGTERM, then stop gracefully.
  Status run(const std::function<void()>& on_started = {});

  ControlPlane& control_plane();
  // The service's own objects as admin commands see them.
  Backend& backend();
  // Every route the server answers, built-in ones included (access audits and tests).
  std::vector<const http::Route*> routes() const;
  transfer::TransferService& transfers();
  // The usage log the gateway meters `region`'s requests into (read by tests and settlement);
  // nullptr when `region` is not configured.
  ledger::UsageLog* usage_log(std::string_view region);

 private:
  struct Impl;
  explicit Service(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace fleetgate::app
