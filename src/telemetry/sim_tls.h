// TLS for the fleet simulator (wss): one client context per simulated vehicle, trusting the
// server's CA and presenting that vehicle's client certificate when the options name one.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fleetgate/core/result.h"
#include "fleetgate/telemetry/fleet_sim.h"

namespace fleetgate::telemetry {

// `pattern` with every "{vin}" replaced by `vin`.
std::string expand_vin(std::string_view pattern, std::string_view vin);

// One context per options.vehicles entry (index for index), or an empty vector when options.tls
// is off. invalid_argument naming the file when a CA, certificate or key cannot be loaded, or
// when only one of client_cert and client_key is set.
Result<std::vector<std::shared_ptr<boost::asio::ssl::context>>> sim_tls_contexts(const FleetSimOptions& options);

}  // namespace fleetgate::telemetry
