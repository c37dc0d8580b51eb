// The assistant gateway's chat filters (chat_filter.h), in the order the gateway chains them:
//   caller       the calling vehicle from the registry, its parsed request, language and request id;
//   metering     sheds requests while the usage writer is behind (503), records every answered
//                request's usage off the request path (usage_meter.h), the request metrics, and
//                logs each failover from a provider that failed (one line per failover);
//   budget       [[assistant.budgets]]: turns a car over its budget away (429), spends answers' tokens;
//   tool review  every tool call an answer holds, taken out until whole, reviewed by what the tool
//                does (the request's own tools or the catalogue), its schema and the interlocks,
//                refusals audited before the answer leaves (tool_call_review.h);
//   AI label     [[compliance.ai_labels]]: the market's notice and machine-readable label.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>

#include "fleetgate/assistant/budgets.h"
#include "fleetgate/assistant/chat_filter.h"
#include "fleetgate/assistant/interlocks.h"
#include "fleetgate/assistant/tool_classifier.h"
#include "fleetgate/assistant/usage_meter.h"
#include "fleetgate/assistant/vehicle_state_source.h"
#include "fleetgate/audit/audit_log.h"
#include "fleetgate/http/metrics.h"
#include "fleetgate/privacy/pseudonymiser.h"
#include "fleetgate/residency/policy.h"
#include "fleetgate/vehicle/registry.h"

namespace fleetgate::assistant {

// A registered vehicle this node serves, as its requests know it.
struct CallingVehicle {
  std::string vin;
  residency::Car car;  // its home region, market and model year
};

// The vehicle `vin` from the registry (a blocking read). A VIN no longer registered is
// kPermissionDenied (its credentials outlived the registration); one homed in a region this node
// does not serve is kFailedPrecondition.
Result<CallingVehicle> calling_vehicle(const residency::Policy& policy, const vehicle::FleetRegistry& registry,
                                       std::string_view vin);

// `blocking`: the server's workers, where reads that may wait on a disk or database run.
ChatFilterFactory caller_filter(std::shared_ptr<const residency::Policy> policy, const vehicle::FleetRegistry& registry,
                                boost::asio::any_io_executor blocking);

struct MeteringDeps {
  UsageMeter* meter = nullptr;
  std::map<std::string, const privacy::Pseudonymiser*> pseudonymisers;  // by region id
  const Router* router = nullptr;                                       // its breakers' states
  http::CounterFamily* requests = nullptr;   // fleetgate_assistant_requests_total{region,provider,outcome}
  http::CounterFamily* attempts = nullptr;   // fleetgate_assistant_attempts_total{region,provider,outcome}
  http::CounterFamily* failovers = nullptr;  // fleetgate_assistant_failovers_total{region,provider}
  http::GaugeFamily* breaker = nullptr;      // fleetgate_assistant_breaker_state{provider}
};
ChatFilterFactory metering_filter(MeteringDeps deps);

// `over_budget`: fleetgate_assistant_over_budget_total{region,scope}.
ChatFilterFactory budget_filter(std::shared_ptr<Budgets> budgets, http::CounterFamily& over_budget);

struct ToolReviewDeps {
  VehicleStateSource* states = nullptr;
  audit::AuditLog* audit = nullptr;
  boost::asio::any_io_executor blocking;  // state reads and audit appends wait there
  ToolPins pins;
  InterlockOptions interlocks;
  http::CounterFamily* refusals = nullptr;  // fleetgate_assistant_tool_calls_refused_total{region,reason}
};
ChatFilterFactory tool_review_filter(ToolReviewDeps deps);

ChatFilterFactory ai_label_filter(std::shared_ptr<const residency::Policy> policy);

}  // namespace fleetgate::assistant
