#include "fleetgate/telemetry/region_telemetry.h"

#include <future>
#include <memory>

#include "fleetgate/telemetry/proto/telemetry.pb.h"

namespace fleetgate::telemetry {

Status RegionTelemetry::append(const wire::Batch& records) {
  auto outcome = std::make_shared<std::promise<Status>>();
  std::future<Status> result = outcome->get_future();
  Status queued = submit(records, [outcome](Status s) { outcome->set_value(std::move(s)); });
  if (!queued.is_ok()) return queued;
  return result.get();
}

Status check_one_vehicle(const wire::Batch& records) {
  if (records.records().empty()) return invalid_argument("no records to store");
  const std::string& vin = records.records(0).vin();
  for (const wire::Payload& r : records.records()) {
    if (r.vin() != vin) return invalid_argument("one batch holds records of " + vin + " and " + r.vin());
  }
  return Status::ok();
}

}  // namespace fleetgate::telemetry
