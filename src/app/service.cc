#include "fleetgate/app/service.h"

#include <spdlog/spdlog.h>

#include "fleetgate/access/certificate_authenticator.h"
#include "fleetgate/access/certificate_routes.h"
#include "fleetgate/access/console_sessions.h"
#include "fleetgate/access/session_authenticator.h"
#include "fleetgate/access/region_redirect.h"
#include "fleetgate/access/fleet_ca.h"
#include "fleetgate/access/token_authenticator.h"
#include "fleetgate/access/token_routes.h"
#include "fleetgate/app/api_description.h"
#include "fleetgate/app/build_info.h"
#include "fleetgate/app/region_telemetry_open.h"
#include "fleetgate/app/vehicle_states.h"
#include "fleetgate/app/usage_log_open.h"
#include "fleetgate/audit/audit_routes.h"
#include "fleetgate/console/console_routes.h"
#include "fleetgate/console/overview_routes.h"
#include "fleetgate/assistant/gateway.h"
#include "fleetgate/http/process_metrics.h"
#include "fleetgate/http/server.h"
#include "fleetgate/ledger/kv_usage_log.h"
#include "fleetgate/ledger/ledger.h"
#include "fleetgate/learning/learning_routes.h"
#include "fleetgate/ledger/ledger_routes.h"
#include "fleetgate/store/data_dir.h"
#include "fleetgate/store/pg_probe.h"
#include "fleetgate/telemetry/ingest_routes.h"
#include "fleetgate/telemetry/ingest_service.h"
#include "fleetgate/transfer/transfer_routes.h"
#include "fleetgate/vehicle/directory_routes.h"
#include "fleetgate/app/retention.h"
#include "fleetgate/app/vehicle_data_routes.h"
#include "fleetgate/app/vehicle_erasure.h"
#include "fleetgate/vehicle/registry_routes.h"
#include "fleetgate/vehicle/vin_routes.h"

#include <unistd.h>

#include <filesystem>

namespace fleetgate::app {

// One region's data home as the running service holds it: its keys and usage log (the store
// itself lives in Service::Impl::stores, shared with telemetry ingest).
struct RegionHome {
  std::shared_ptr<const privacy::RegionKeys> keys;
  std::unique_ptr<privacy::Pseudonymiser> pseudonymiser;
  std::unique_ptr<store::KvStore> usage_store;  // ServiceOptions::usage_store's, when set
  std::unique_ptr<ledger::UsageLog> usage;
};

// Members are declared so that users are destroyed before what they use.
struct Service::Impl {
  LoadedConfig loaded;
  ServiceOptions options;
  ControlPlane cp;
  std::map<std::string, std::unique_ptr<store::KvStore>> stores;
  std::map<std::string, RegionHome> regions;
  std::unique_ptr<access::ConsoleSessions> console_sessions;
  std::shared_ptr<const http::Authenticator> authenticator;
  std::shared_ptr<http::MetricsRegistry> metrics = std::make_shared<http::MetricsRegistry>();
  std::unique_ptr<telemetry::IngestService> ingest;
  std::unique_ptr<VehicleStates> states;
  std::unique_ptr<assistant::Router> router;
  std::unique_ptr<assistant::Gateway> gateway;
  std::unique_ptr<ledger::Ledger> ledger;
  std::unique_ptr<transfer::TransferService> transfers;
  std::unique_ptr<console::Overview> overview;
  std::unique_ptr<store::PgProbe> control_probe;  // decides /readyz when the control plane is on PostgreSQL
  std::unique_ptr<http::Server> server;
  std::unique_ptr<AdminSocket> admin;  // first to go: its commands use everything above

  // What admin commands act on: the objects the routes use.
  struct AsBackend final : Backend {
    explicit AsBackend(Impl& s) : s(s) {}
    Impl& s;

    const LoadedConfig& loaded() override { return s.loaded; }
    ControlPlane& control() override { return s.cp; }
    transfer::RegionData region(const std::string& id) override { return s.region_data(served_region(s.loaded, id)); }
    ledger::UsageLog& usage_log(const std::string& id) override {
      served_region(s.loaded, id);
      return *s.regions.at(id).usage;
    }
    telemetry::IngestService& telemetry() override { return *s.ingest; }
    http::SessionRegistry* sessions() override { return &s.server->sessions(); }
    transfer::TransferService& transfers() override { return *s.transfers; }
    // The service's one ledger (ledger.toml beside its config), so that its imports and closes
    // stay serialized with those of the HTTP routes.
    ledger::Ledger& ledger(const std::filesystem::path& terms) override {
      const std::filesystem::path served = ledger_terms(*s.loaded.config, {});
      if (!s.ledger) fail("the running service has no ledger terms (" + served.string() + " is missing); add them and restart it");
      std::error_code ec;
      if (!terms.empty() && !std::filesystem::equivalent(terms, served, ec)) {
        fail("--ledger-config " + terms.string() + " is not the terms the running service settles under (" +
             served.string() + "); stop the service to use other terms");
      }
      return *s.ledger;
    }
  };
  AsBackend backend{*this};
  // [[compliance.retention]] enforced hourly, when configured; first to stop, as it uses the rest.
  std::unique_ptr<RetentionRunner> retention;

  void start_retention() {
    if (loaded.config->retention.empty()) return;
    retention = std::make_unique<RetentionRunner>(
        [this] {
          auto runs = enforce_retention(backend, cp.audit->now_ms());
          if (!runs.is_ok()) {
            spdlog::error("retention: {}", runs.status().to_string());
            return;
          }
          for (const RetentionRun& r : *runs) {
            if (r.deleted == 0) continue;
            spdlog::info("retention: region {} {}{}: {} older than {} days deleted ({})", r.region, r.data_class,
                         r.market.empty() ? "" : " of market " + r.market, r.deleted, r.days, r.reference);
          }
        },
        std::chrono::hours(1));
  }

  Status open_admin_socket() {
    if (!options.admin) return Status::ok();
    auto socket = AdminSocket::listen(admin_socket_path(*loaded.config),
                                      [this](const AdminCall& call, std::ostream& out, std::ostream& err) {
                                        return options.admin(call, backend, out, err);
                                      });
    if (!socket.is_ok()) return socket.status();
    admin = std::move(socket).value();
    return Status::ok();
  }

  // With [server.tls] client_cert on, vehicles may authenticate by certificate: client_ca
  // defaults to the fleet CA (created at first use), whose certificates name vehicles by VIN.
  // An explicit client_ca is trusted as configured.
  Status enable_client_certificates(http::ServerOptions& options) {
    if (!options.tls || options.tls->client_cert == http::ClientCertMode::kOff) return Status::ok();
    std::string fleet_ca_subject;
    if (options.tls->client_ca.empty()) {
      auto ca = access::FleetCa::open_or_create(access::fleet_ca_dir(*loaded.config));
      if (!ca.is_ok()) return ca.status();
      options.tls->client_ca = ca->certificate_file();
      fleet_ca_subject = ca->subject();
    }
    authenticator = std::make_shared<access::CertificateAuthenticator>(*cp.registry, *cp.revocations,
                                                                       std::move(fleet_ca_subject), std::move(authenticator));
    return Status::ok();
  }

  // With the control plane on PostgreSQL the node is ready only while that database answers, so
  // that a load balancer sends no traffic that would get 503 (embedded: always ready).
  Status set_readiness() {
    if (loaded.config->control.backend != config::ControlSettings::Backend::kPostgres) return Status::ok();
    auto dsn = store::control_dsn(*loaded.config);
    if (!dsn.is_ok()) return dsn.status();
    control_probe = std::make_unique<store::PgProbe>(*dsn);
    server->set_readiness_check([probe = control_probe.get()] { return probe->check(); });
    return Status::ok();
  }

  Status open_regions() {
    auto opened = store::open_region_stores(*loaded.config, telemetry::region_store_options(), region_objects_opener());
    if (!opened.is_ok()) return opened.status();
    stores = std::move(opened).value();
    for (const auto& region : loaded.config->regions) {
      if (!loaded.config->serves(region.id)) continue;  // nothing of it on this node's disk
      RegionHome home;
      auto keys = privacy::RegionKeys::open(region.data_dir, region.id);
      if (!keys.is_ok()) return keys.status();
      home.keys = *keys;
      home.pseudonymiser = std::make_unique<privacy::Pseudonymiser>(home.keys);
      auto usage = options.usage_store ? open_injected_usage_log(home, region)
                                       : open_usage_log(region, *stores.at(region.id));
      if (!usage.is_ok()) return usage.status();
      home.usage = std::move(usage).value();
      regions.emplace(region.id, std::move(home));
    }
    return Status::ok();
  }

  // ServiceOptions::usage_store: the region's usage log embedded in the store the test made, where
  // its fault is, whatever the region's telemetry.
  Result<std::unique_ptr<ledger::UsageLog>> open_injected_usage_log(RegionHome& home, const config::Region& region) {
    home.usage_store = options.usage_store(*stores.at(region.id));
    auto log = ledger::KvUsageLog::open(*home.usage_store, region.id);
    if (!log.is_ok()) return log.status();
    return std::unique_ptr<ledger::UsageLog>(std::move(log).value());
  }

  // What transfers, curation and training use of a served region. REQUIRES: start_telemetry ran.
  transfer::RegionData region_data(const config::Region& r) {
    const telemetry::RegionTelemetry* t = ingest->region(r.id);
    return transfer::RegionData{stores.at(r.id).get(), regions.at(r.id).keys, r.data_dir, [t] { return t->records(); },
                                [t] { return t->codec().vehicle_keys(); }};
  }

  Status start_telemetry(bool group_commit) {
    telemetry::IngestOptions options;
    options.metrics = metrics;
    options.commit.group_commit = group_commit;
    options.make_region = stream_telemetry_factory();
    auto service = telemetry::IngestService::create(loaded.policy, stores, *cp.registry, *cp.audit, options);
    if (!service.is_ok()) return service.status();
    ingest = std::move(service).value();
    std::map<std::string, VehicleStates::Home> homes;
    for (const auto& [id, home] : regions) homes.emplace(id, VehicleStates::Home{stores.at(id).get(), home.keys});
    states = std::make_unique<VehicleStates>(*ingest, *cp.registry, std::move(homes));
    return telemetry::register_ingest_routes(*server, *ingest);
  }

  // The ledger runs when its terms (ledger.toml beside the main config) are present.
  Status start_ledger() {
    const auto terms = ledger_terms(*loaded.config, {});
    if (!std::filesystem::exists(terms)) return Status::ok();
    auto config = ledger::load_ledger_config(terms);
    if (!config.is_ok()) return config.status();
    std::vector<const ledger::UsageLog*> logs;
    for (const auto& [id, home] : regions) logs.push_back(home.usage.get());
    ledger = std::make_unique<ledger::Ledger>(std::move(config).value(), *cp.audit, std::move(logs));
    return ledger::register_ledger_routes(*server, *ledger);
  }

  // Transfers between the regions' stores, the audit chain their steps are written to, and the
  // datasets curated in those stores.
  Status start_transfers() {
    std::map<std::string, transfer::RegionData> data;
    std::vector<std::pair<std::string, const store::KvReader*>> region_stores;  // for the learning routes
    for (const auto& region : loaded.config->regions) {
      if (!loaded.config->serves(region.id)) continue;
      data[region.id] = region_data(region);
      region_stores.emplace_back(region.id, stores.at(region.id).get());
    }
    transfer::TransferOptions options;
    options.auto_approve_model_weights = loaded.config->transfer.auto_approve_model_weights;
    auto service = transfer::TransferService::create(loaded.policy, *cp.audit, std::move(data), options);
    if (!service.is_ok()) return service.status();
    transfers = std::move(service).value();
    if (Status s = transfer::register_transfer_routes(*server, *transfers, *loaded.config); !s.is_ok()) return s;
    if (Status s = learning::register_learning_routes(*server, std::move(region_stores)); !s.is_ok()) return s;
    std::map<std::string, DataHome> homes;
    for (const auto& [id, home] : regions) homes.emplace(id, DataHome{home.usage.get(), stores.at(id).get()});
    if (Status s = register_vehicle_data_routes(*server, cp, *ingest, *transfers, std::move(homes)); !s.is_ok()) return s;
    return audit::register_audit_routes(*server, *cp.audit);
  }

  // /metrics beyond what the modules count as they work: the process, the build, and figures read
  // when scraped (transfers awaiting a decision, the audit chain's length).
  Status start_metrics() {
    if (Status s = http::register_process_metrics(*metrics, std::string(build_version()), std::string(build_type()));
        !s.is_ok()) {
      return s;
    }
    auto pending = metrics->gauge("fleetgate_transfers_pending",
                                  "Transfers awaiting approval, per region they leave or enter (a transfer counts in both)",
                                  {"region"});
    if (!pending.is_ok()) return pending.status();
    auto entries = metrics->gauge("fleetgate_audit_entries", "Entries of the audit chain, as this node last saw its head");
    if (!entries.is_ok()) return entries.status();
    std::vector<http::Gauge*> pending_of;  // served regions' gauges, so each shows 0 when none is pending
    std::vector<std::string> served;
    for (const config::Region& r : loaded.config->regions) {
      if (!loaded.config->serves(r.id)) continue;
      served.push_back(r.id);
      pending_of.push_back(&(*pending)->with({r.id}));
    }
    metrics->on_scrape([this, served, pending_of, entries = &(*entries)->with({})] {
      entries->set(static_cast<double>(cp.audit->size()));
      auto all = transfers->list(http::Principal{"metrics", {}, {"*"}});
      if (!all.is_ok()) return;  // the gauges keep their last values; the transfer routes report the store's fault
      const std::map<std::string, int> counts = transfer::pending_per_region(*all);
      for (size_t i = 0; i < served.size(); ++i) {
        auto it = counts.find(served[i]);
        pending_of[i]->set(it == counts.end() ? 0 : it->second);
      }
    });
    return Status::ok();
  }

  // The operator console: its assets, sign-in, and the live overview of what the routes above count.
  Status start_console() {
    if (Status s = console::register_console_routes(*server, *console_sessions, loaded.config->server.tls.has_value());
        !s.is_ok()) {
      return s;
    }
    console::BreakerStates breakers = [router = router.get()] {
      std::map<std::string, std::string> states;
      for (const auto& [id, state] : router->breaker_states()) states[id] = std::string(assistant::to_string(state));
      return states;
    };
    auto made = console::Overview::create(*loaded.config, *metrics, std::move(breakers), *transfers);
    if (!made.is_ok()) return made.status();
    overview = std::move(made).value();
    return console::register_overview_routes(*server, *overview, *authenticator);
  }

  Status start_gateway() {
    auto client = assistant::UpstreamClient::create();
    if (!client.is_ok()) return client.status();
    // Budgets are counted per node; the router checks the providers', the gateway the rest.
    auto budgets = std::make_shared<assistant::Budgets>(loaded.config->assistant.budgets);
    assistant::RouterOptions router_options;
    router_options.budgets = budgets;
    auto router_or = assistant::Router::create(loaded.policy, assistant::make_providers(*loaded.config, *client), router_options);
    if (!router_or.is_ok()) return router_or.status();
    router = std::move(router_or).value();
    assistant::GatewayDeps deps{loaded.policy, router.get(), cp.registry.get(), cp.audit.get(), states.get(), {}, {}, {}, {},
                                options.usage_queue, std::move(budgets)};
    auto pins = assistant::tool_pins(*loaded.config);
    if (!pins.is_ok()) return pins.status();
    deps.tool_pins = std::move(pins).value();
    for (auto& [id, home] : regions) {
      deps.usage[id] = home.usage.get();
      deps.pseudonymisers[id] = home.pseudonymiser.get();
    }
    auto gw = assistant::Gateway::create(std::move(deps), *metrics);
    if (!gw.is_ok()) return gw.status();
    gateway = std::move(gw).value();
    return gateway->register_routes(*server);
  }
};

Service::Service(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Service::~Service() {
  if (impl_) stop();
}

Result<std::unique_ptr<Service>> Service::create(LoadedConfig loaded, ServiceOptions options) {
  // The handed-over listening socket is the service's from here: its server takes it, and a
  // service that fails before that closes it.
  int listen_fd = std::exchange(options.listen_fd, -1);
  struct CloseUnused {
    int& fd;
    ~CloseUnused() {
      if (fd >= 0) ::close(fd);
    }
  } close_unused{listen_fd};
  auto impl = std::make_unique<Impl>();
  impl->loaded = std::move(loaded);
  impl->options = options;
  auto cp = open_control_plane(impl->loaded, options.clock, options.control_store);
  if (!cp.is_ok()) return cp.status();
  impl->cp = std::move(cp).value();
  impl->authenticator = std::make_shared<access::TokenAuthenticator>(*impl->cp.credentials);

  http::ServerOptions server_options = http::ServerOptions::from_config(impl->loaded.config->server);
  if (options.port) server_options.port = *options.port;
  server_options.on_hangup = options.on_hangup;
  server_options.misdirected = [config = impl->loaded.config](const http::Request& request) {
    return access::redirect_to_home_region(*config, request);
  };
  if (Status tls = impl->enable_client_certificates(server_options); !tls.is_ok()) return tls;
  // Browsers of the console authenticate by session cookie; API clients as before.
  impl->console_sessions = std::make_unique<access::ConsoleSessions>(
      *impl->cp.audit, *impl->cp.credentials, impl->loaded.config->console.session_seconds * 1000);
  impl->authenticator = std::make_shared<access::SessionAuthenticator>(*impl->console_sessions, std::move(impl->authenticator));
  server_options.listen_fd = std::exchange(listen_fd, -1);  // the server owns it from here
  impl->server = std::make_unique<http::Server>(server_options, impl->metrics, impl->authenticator);
  Status s = impl->set_readiness();
  if (!s.is_ok()) return s;
  s = impl->open_regions();
  if (!s.is_ok()) return s;
  s = vehicle::register_registry_routes(*impl->server, *impl->cp.registry, *impl->loaded.config);
  if (!s.is_ok()) return s;
  s = vehicle::register_directory_routes(*impl->server, *impl->cp.directory, *impl->loaded.config);
  if (!s.is_ok()) return s;
  s = vehicle::register_vin_routes(*impl->server);
  if (!s.is_ok()) return s;
  s = access::register_token_routes(*impl->server, *impl->cp.credentials, *impl->cp.registry);
  if (!s.is_ok()) return s;
  s = access::register_certificate_routes(*impl->server, *impl->cp.revocations, *impl->cp.registry, *impl->cp.audit,
                                         access::fleet_ca_dir(*impl->loaded.config));
  if (!s.is_ok()) return s;
  s = impl->start_telemetry(options.ingest_group_commit);
  if (!s.is_ok()) return s;
  s = vehicle::register_erasure_route(
      *impl->server, *impl->cp.registry,
      [impl = impl.get()](const vehicle::VehicleRecord& v, std::string_view actor,
                          std::string_view reason) -> Result<boost::json::object> {
        telemetry::RegionTelemetry* t = impl->ingest->region(v.region);
        if (t == nullptr) return failed_precondition("region '" + v.region + "' is not served by this node");
        auto erased = erase_vehicle(impl->cp, *t, *impl->stores.at(v.region), &impl->server->sessions(), v.vin, actor,
                                    reason);
        if (!erased.is_ok()) return erased.status();
        return to_json(*erased);
      });
  if (!s.is_ok()) return s;
  s = impl->start_gateway();
  if (!s.is_ok()) return s;
  s = impl->start_ledger();
  if (!s.is_ok()) return s;
  s = impl->start_transfers();
  if (!s.is_ok()) return s;
  s = impl->start_console();
  if (!s.is_ok()) return s;
  s = impl->start_metrics();
  if (!s.is_ok()) return s;
  s = register_api_description_route(*impl->server);
  if (!s.is_ok()) return s;
  return std::unique_ptr<Service>(new Service(std::move(impl)));
}

Status Service::start() {
  if (Status s = impl_->open_admin_socket(); !s.is_ok()) return s;
  Status s = impl_->server->start();
  if (!s.is_ok()) {
    impl_->admin.reset();
    return s;
  }
  impl_->start_retention();
  return s;
}

uint16_t Service::port() const { return impl_->server->port(); }
int Service::duplicate_listener() const { return impl_->server->duplicate_listener(); }

void Service::stop() {
  impl_->retention.reset();
  impl_->admin.reset();
  if (impl_->server) impl_->server->stop();
}

Status Service::run(const std::function<void()>& on_started) {
  if (Status s = impl_->open_admin_socket(); !s.is_ok()) return s;
  impl_->start_retention();
  Status s = impl_->server->run(on_started);
  impl_->retention.reset();
  impl_->admin.reset();
  return s;
}

ControlPlane& Service::control_plane() { return impl_->cp; }
Backend& Service::backend() { return impl_->backend; }
std::vector<const http::Route*> Service::routes() const { return impl_->server->routes(); }
transfer::TransferService& Service::transfers() { return *impl_->transfers; }

ledger::UsageLog* Service::usage_log(std::string_view region) {
  auto it = impl_->regions.find(std::string(region));
  return it == impl_->regions.end() ? nullptr : it->second.usage.get();
}

}  // namespace fleetgate::app
