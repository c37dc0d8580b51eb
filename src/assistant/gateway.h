// The assistant gateway: POST /v1/chat/completions and GET /v1/models for registered vehicles,
// and POST /v1/vehicles/{vin}/state. Every chat request, plain or streamed, passes one ordered
// filter chain (chat_filter.h, Envoy-style; the filters are in gateway_filters.h): the calling
// vehicle and its request → metering → budgets → the router over the providers its home region
// permits → every returned tool call reviewed by what it does → the market's AI label. Responses
// carry x-fleetgate-provider, -region and -overhead-us headers (the gateway's own time); a
// stream's last line repeats the overhead for the whole stream as an SSE comment.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "fleetgate/assistant/interlocks.h"
#include "fleetgate/assistant/router.h"
#include "fleetgate/assistant/tool_classifier.h"
#include "fleetgate/assistant/upstream_client.h"
#include "fleetgate/assistant/vehicle_state_source.h"
#include "fleetgate/audit/audit_log.h"
#include "fleetgate/http/server.h"
#include "fleetgate/ledger/usage_log.h"
#include "fleetgate/privacy/pseudonymiser.h"
#include "fleetgate/residency/policy.h"
#include "fleetgate/vehicle/registry.h"

namespace fleetgate::assistant {

struct GatewayDeps {
  std::shared_ptr<const residency::Policy> policy;
  Router* router = nullptr;
  vehicle::FleetRegistry* registry = nullptr;
  audit::AuditLog* audit = nullptr;                                  // refused tool calls
  VehicleStateSource* states = nullptr;
  std::map<std::string, ledger::UsageLog*> usage;                   // by region id
  std::map<std::string, const privacy::Pseudonymiser*> pseudonymisers;  // by region id
  InterlockOptions interlocks;
  // Vehicle functions config pins to app tool names ([assistant.tool_functions], tool_pins()).
  ToolPins tool_pins;
  // Usage records that may wait for the usage writer (UsageMeter's max_queued); while that many
  // wait, chat requests are answered 503 with Retry-After instead of waiting on the event loop.
  size_t usage_queue = 65536;
  // Budgets of vehicles, regions and providers ([[assistant.budgets]]), shared with the router,
  // which checks the providers'. Null: none.
  std::shared_ptr<Budgets> budgets;
};

class Gateway {
 public:
  // REQUIRES: every pointer in `deps` is set and outlives the gateway; usage and pseudonymisers
  // hold every configured region. Registers its metrics in `metrics`.
  static Result<std::unique_ptr<Gateway>> create(GatewayDeps deps, http::MetricsRegistry& metrics);
  ~Gateway();

  Status register_routes(http::Server& server);

  struct Impl;

 private:
  explicit Gateway(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The router's providers for a config: an UpstreamProvider per openai-compatible provider
// (sharing `client`) and an OnboardProvider per onboard one.
std::vector<std::shared_ptr<Provider>> make_providers(const config::Config& config,
                                                      const std::shared_ptr<UpstreamClient>& client);

}  // namespace fleetgate::assistant
