#include "fleetgate/app/service.h"

#include "fleetgate/access/token_authenticator.h"
#include "fleetgate/http/server.h"
#include "fleetgate/vehicle/registry_routes.h"

namespace fleetgate::app {

struct Service::Impl {
  LoadedConfig loaded;
  ControlPlane cp;
  std::shared_ptr<access::TokenAuthenticator> authenticator;
  std::unique_ptr<http::Server> server;
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
  impl->server = std::make_unique<http::Server>(server_options, std::make_shared<http::MetricsRegistry>(),
                                                impl->authenticator);
  Status s = vehicle::register_registry_routes(*impl->server, *impl->cp.registry, *impl->loaded.config);
  if (!s.is_ok()) return s;
  return std::unique_ptr<Service>(new Service(std::move(impl)));
}

Status Service::start() { return impl_->server->start(); }
uint16_t Service::port() const { return impl_->server->port(); }
void Service::stop() { impl_->server->stop(); }
Status Service::run(const std::function<void()>& on_started) { return impl_->server->run(on_started); }
ControlPlane& Service::control_plane() { return impl_->cp; }

}  // namespace fleetgate::app
