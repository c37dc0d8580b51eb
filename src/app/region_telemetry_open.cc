#include "fleetgate/app/region_telemetry_open.h"

#include <cstdlib>

#include "fleetgate/query_store/region_objects.h"
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
    auto opened = stream_telemetry::StreamTelemetry::open(std::move(keys), counters, std::move(options));
    if (!opened.is_ok()) {
      return Status(opened.status().code(), "telemetry: " + opened.status().message());
    }
    return std::unique_ptr<telemetry::RegionTelemetry>(std::move(opened).value());
  };
}

}  // namespace fleetgate::app
