// The process's own figures on /metrics, under the names Prometheus client libraries use
// (process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
// process_open_fds, process_max_fds, process_start_time_seconds, process_threads), read from
// /proc/self when scraped; and fleetgate_build_info{version,build_type} = 1.
#pragma once

#include <string>

#include "fleetgate/core/result.h"
#include "fleetgate/http/metrics.h"

namespace fleetgate::http {

Status register_process_metrics(MetricsRegistry& metrics, const std::string& version, const std::string& build_type);

}  // namespace fleetgate::http
