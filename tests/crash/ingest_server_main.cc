// ingest_server CONFIG [--no-group-commit]: the telemetry ingest of `fleetgate serve` (control
// plane, vehicle tokens, every region's store, the telemetry routes) on an ephemeral loopback
// port, for the crash test to SIGKILL and the ingest benchmark to measure. Prints "port N" once
// listening, then serves until killed.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <string_view>
#include <thread>

#include "fleetgate/access/credentials.h"
#include "fleetgate/access/token_authenticator.h"
#include "fleetgate/audit/audit_log.h"
#include "fleetgate/residency/policy.h"
#include "fleetgate/store/data_dir.h"
#include "fleetgate/telemetry/ingest_routes.h"
#include "fleetgate/vehicle/registry.h"

using namespace fleetgate;

namespace {

[[noreturn]] void die(const Status& s) {
  std::fprintf(stderr, "ingest_server: %s\n", s.to_string().c_str());
  std::exit(1);
}

template <typename T>
T must(Result<T> r) {
  if (!r.is_ok()) die(r.status());
  return std::move(r).value();
}

}  // namespace

int main(int argc, char** argv) {
  const bool group_commit = !(argc == 3 && std::string_view(argv[2]) == "--no-group-commit");
  if (argc < 2 || argc > 3 || (argc == 3 && group_commit)) {
    std::fprintf(stderr, "usage: ingest_server CONFIG [--no-group-commit]\n");
    return 2;
  }
  spdlog::set_level(spdlog::level::warn);
  auto cfg = std::make_shared<const config::Config>(must(config::load_config(argv[1])));
  auto policy = std::make_shared<const residency::Policy>(must(residency::Policy::create(cfg)));
  auto control = must(store::open_control_store(*cfg));
  auto audit = must(audit::AuditLog::open(*control));
  vehicle::FleetRegistry registry(*audit, policy);
  access::CredentialStore credentials(*audit);
  auto stores = must(store::open_region_stores(*cfg, telemetry::region_store_options()));
  telemetry::IngestOptions ingest;
  ingest.commit.group_commit = group_commit;
  auto service = must(telemetry::IngestService::create(policy, stores, registry, *audit, ingest));
  http::ServerOptions options;
  options.port = 0;
  http::Server server(options, nullptr, std::make_shared<access::TokenAuthenticator>(credentials));
  if (Status s = telemetry::register_ingest_routes(server, *service); !s.is_ok()) die(s);
  if (Status s = server.start(); !s.is_ok()) die(s);
  std::printf("port %u\n", server.port());
  std::fflush(stdout);
  for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
}
