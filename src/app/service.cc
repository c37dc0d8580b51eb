#include "fleetgate/app/service.h"

#include "fleetgate/access/token_authenticator.h"
#include "fleetgate/assistant/gateway.h"
#include "fleetgate/http/server.h"
#include "fleetgate/store/data_dir.h"
#include "fleetgate/vehicle/registry_routes.h"

namespace fleetgate::app {

// One region's data home as the running service holds it: its store, keys and usage log.
struct RegionHome {
  std::unique_ptr<store::KvStore> store;
  std::shared_ptr<const privacy::RegionKeys> keys;
  std::unique_ptr<privacy::Pseudonymiser> pseudonymiser;
  std::unique_ptr<ledger::UsageLog> usage;
};

// Members are declared so that users are destroyed before what they use.
struct Service::Impl {
  LoadedConfig loaded;
  ControlPlane cp;
  std::map<std::string, RegionHome> regions;
  std::shared_ptr<access::TokenAuthenticator> authenticator;
  std::shared_ptr<http::MetricsRegistry> metrics = std::make_shared<http::MetricsRegistry>();
  std::unique_ptr<assistant::Router> router;
  assistant::InMemoryVehicleStates states;
  std::unique_ptr<assistant::Gateway> gateway;
  std::unique_ptr<http::Server> server;

  Status open_regions() {
    auto stores = store::open_region_stores(*loaded.config);
    if (!stores.is_ok()) return stores.status();
    for (const auto& region : loaded.config->regions) {
      RegionHome home;
      home.store = std::move(stores->at(region.id));
      auto keys = privacy::RegionKeys::open(region.data_dir, region.id);
      if (!keys.is_ok()) return keys.status();
      home.keys = *keys;
      home.pseudonymiser = std::make_unique<privacy::Pseudonymiser>(home.keys);
      auto usage = ledger::UsageLog::open(*home.store, region.id);
      if (!usage.is_ok()) return usage.status();
      home.usage = std::move(usage).value();
      regions.emplace(region.id, std::move(home));
    }
    return Status::ok();
  }

  Status start_gateway() {
    auto client = assistant::UpstreamClient::create();
    if (!client.is_ok()) return client.status();
    auto router_or = assistant::Router::create(loaded.policy, assistant::make_providers(*loaded.config, *client));
    if (!router_or.is_ok()) return router_or.status();
    router = std::move(router_or).value();
    assistant::GatewayDeps deps{loaded.policy, router.get(), cp.registry.get(), cp.audit.get(), &states, {}, {}, {}};
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
  if (impl_ && impl_->server) impl_->server->stop();
}

Result<std::unique_ptr<Service>> Service::create(LoadedConfig loaded, ServiceOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->loaded = std::move(loaded);
  auto cp = open_control_plane(impl->loaded);
  if (!cp.is_ok()) return cp.status();
  impl->cp = std::move(cp).value();
  impl->authenticator = std::make_shared<access::TokenAuthenticator>(*impl->cp.credentials);

  http::ServerOptions server_options = http::ServerOptions::from_config(impl->loaded.config->server);
  if (options.port) server_options.port = *options.port;
  impl->server = std::make_unique<http::Server>(server_options, impl->metrics, impl->authenticator);
  Status s = impl->open_regions();
  if (!s.is_ok()) return s;
  s = vehicle::register_registry_routes(*impl->server, *impl->cp.registry, *impl->loaded.config);
  if (!s.is_ok()) return s;
  s = impl->start_gateway();
  if (!s.is_ok()) return s;
  return std::unique_ptr<Service>(new Service(std::move(impl)));
}

Status Service::start() { return impl_->server->start(); }
uint16_t Service::port() const { return impl_->server->port(); }
void Service::stop() { impl_->server->stop(); }
Status Service::run(const std::function<void()>& on_started) { return impl_->server->run(on_started); }
ControlPlane& Service::control_plane() { return impl_->cp; }

}  // namespace fleetgate::app
