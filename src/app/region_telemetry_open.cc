#include "fleetgate/app/region_telemetry_open.h"

#include <cstdlib>

#include "fleetgate/privacy/vehicle_keys.h"
#include "fleetgate/query_store/region_objects.h"
#include "fleetgate/query_store/region_schema.h"
#include "fleetgate/store/pg_store.h"
#include "fleetgate/store/pg_connection.h"
#include "fleetgate/stream/cluster_connection.h"
#include "fleetgate/stream_telemetry/stream_telemetry.h"

namespace fleetgate::app {

Result<std::string> region_dsn(const config::Region& region) {
  return store::dsn_from_env(region.telemetry.dsn_env, "regions." + region.id + ".telemetry.dsn_env");
}

store::RemoteRegionStore region_objects_opener() {
  return [](const config::Region& region) -> Result<std::unique_ptr<store::KvStore>> {
    auto dsn = region_dsn(region);
    if (!dsn.is_ok()) return dsn.status();
    auto opened = query_store::open_region_objects(*dsn);
    if (!opened.is_ok()) return Status(opened.status().code(), "region objects: " + opened.status().message());
    return opened;
  };
}

telemetry::IngestOptions::RegionFactory stream_telemetry_factory() {
  return [](const config::Region& region, std::shared_ptr<const privacy::RegionKeys> keys,
            telemetry::StoreCounters counters) -> Result<std::unique_ptr<telemetry::RegionTelemetry>> {
    const char* urls = std::getenv(region.telemetry.nats_env.c_str());
    if (urls == nullptr || *urls == '\0') {
      return failed_precondition("regions." + region.id + ".telemetry: $" + region.telemetry.nats_env +
                                 " (the region's nats:// URLs) is not set");
    }
    auto parsed = stream::parse_urls(urls);
    if (!parsed.is_ok()) return parsed.status();
    auto dsn = region_dsn(region);
    if (!dsn.is_ok()) return dsn.status();
    stream_telemetry::StreamTelemetryOptions options;
    options.urls = std::move(parsed).value();
    options.dsn = std::move(dsn).value();
    options.settings = region.telemetry;
    options.retention_days = region.retention_days;
    // The region's nodes share its vehicle keys: they live in the region's PostgreSQL.
    auto key_store = store::open_pg_table(options.dsn, "vehicle_keys", query_store::check_region_schema);
    if (!key_store.is_ok()) return Status(key_store.status().code(), "vehicle keys: " + key_store.status().message());
    auto vehicle_keys = std::make_shared<privacy::VehicleKeys>(keys, std::move(key_store).value());
    auto opened = stream_telemetry::StreamTelemetry::open(telemetry::RecordCodec(std::move(keys), std::move(vehicle_keys)),
                                                          counters, std::move(options));
    if (!opened.is_ok()) {
      return Status(opened.status().code(), "telemetry: " + opened.status().message());
    }
    return std::unique_ptr<telemetry::RegionTelemetry>(std::move(opened).value());
  };
}

}  // namespace fleetgate::app
