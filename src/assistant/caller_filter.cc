// The caller filter: who asks (the vehicle the route authenticated, from the registry) and what
// (the parsed request, its language, and the request id its usage record and AI label carry).
#include <optional>

#include "fleetgate/assistant/gateway_filters.h"
#include "fleetgate/core/log_tags.h"
#include "fleetgate/http/blocking.h"
#include "fleetgate/http/error.h"

namespace fleetgate::assistant {
namespace {

using boost::asio::awaitable;

Result<CallingVehicle> vehicle_from(const residency::Policy& policy, std::string_view vin,
                                    Result<vehicle::VehicleRecord> record) {
  if (!record.is_ok()) {
    if (record.status().code() == Code::kNotFound) {
      return Status(Code::kPermissionDenied, "vehicle " + std::string(vin) + " is no longer registered");
    }
    return record.status();
  }
  if (!policy.config().serves(record->region)) {  // e.g. a car with a certificate, which names no region
    return Status(Code::kFailedPrecondition,
                  "vehicle " + record->vin + " is homed in region " + record->region + ", which this node does not serve");
  }
  return CallingVehicle{record->vin, {record->region, record->market, record->model_year}};
}

class CallerFilter : public ChatFilter {
 public:
  struct Shared {
    std::shared_ptr<const residency::Policy> policy;
    const vehicle::FleetRegistry& registry;
    boost::asio::any_io_executor blocking;
  };
  explicit CallerFilter(const Shared& shared) : shared_(shared) {}

  awaitable<std::optional<EarlyAnswer>> on_request(ChatExchange& x) override {
    auto vehicle = co_await lookup(x.http->principal()->subject);
    if (!vehicle.is_ok()) co_return EarlyAnswer{http::error_response(vehicle.status())};
    auto parsed = parse_chat_request(x.http->body());
    if (!parsed.is_ok()) co_return EarlyAnswer{http::error_response(parsed.status())};
    x.vin = std::move(vehicle->vin);
    x.car = std::move(vehicle->car);
    x.lang = detect_language(last_user_text(*parsed));
    // The server's id of the HTTP request: its log lines, its usage record and its answer's
    // content id all carry the same one.
    x.request_id = x.http->request_id().empty() ? next_request_id() : x.http->request_id();
    x.http->note_region(x.car.region);
    x.model = parsed->model;
    x.upstream_body = parsed->body;
    x.request = std::move(*parsed);
    co_return std::nullopt;
  }

 private:
  // From the registry's memory, or read on a worker: a cold registry, or one over a shared store,
  // reads the store, and a read that waits for a disk or a database must not freeze every
  // connection on the event loop.
  awaitable<Result<CallingVehicle>> lookup(const std::string& vin) const {
    if (auto known = shared_.registry.shown(vin)) co_return vehicle_from(*shared_.policy, vin, std::move(*known));
    // In an optional: what run_blocking hands back must be default-constructible.
    auto read = [this, &vin] { return std::optional<Result<CallingVehicle>>(calling_vehicle(*shared_.policy, shared_.registry, vin)); };
    co_return *co_await http::run_blocking(shared_.blocking, std::move(read));
  }

  const Shared& shared_;
};

}  // namespace

Result<CallingVehicle> calling_vehicle(const residency::Policy& policy, const vehicle::FleetRegistry& registry,
                                       std::string_view vin) {
  return vehicle_from(policy, vin, registry.show(vin));
}

ChatFilterFactory caller_filter(std::shared_ptr<const residency::Policy> policy, const vehicle::FleetRegistry& registry,
                                boost::asio::any_io_executor blocking) {
  auto shared = std::make_shared<const CallerFilter::Shared>(CallerFilter::Shared{std::move(policy), registry, std::move(blocking)});
  return [shared] { return std::make_unique<CallerFilter>(*shared); };
}

}  // namespace fleetgate::assistant
