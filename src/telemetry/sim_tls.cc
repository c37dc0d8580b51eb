#include "fleetgate/telemetry/sim_tls.h"

#include "fleetgate/http/transport_stream.h"

namespace fleetgate::telemetry {

std::string expand_vin(std::string_view pattern, std::string_view vin) {
  constexpr std::string_view kPlaceholder = "{vin}";
  std::string out;
  for (size_t at = pattern.find(kPlaceholder); at != std::string_view::npos; at = pattern.find(kPlaceholder)) {
    out.append(pattern.substr(0, at)).append(vin);
    pattern.remove_prefix(at + kPlaceholder.size());
  }
  return out.append(pattern);
}

Result<std::vector<std::shared_ptr<boost::asio::ssl::context>>> sim_tls_contexts(const FleetSimOptions& options) {
  std::vector<std::shared_ptr<boost::asio::ssl::context>> out;
  if (!options.tls) return out;
  if (options.client_cert.empty() != options.client_key.empty()) {
    return invalid_argument("a client certificate needs its key and the other way round");
  }
  const bool per_vehicle = options.client_cert.find("{vin}") != std::string::npos ||
                           options.client_key.find("{vin}") != std::string::npos;
  for (const SimCredential& v : options.vehicles) {
    if (!out.empty() && !per_vehicle) {
      out.push_back(out.front());
      continue;
    }
    auto ctx = http::make_client_tls_context(
        {options.ca_file, expand_vin(options.client_cert, v.vin), expand_vin(options.client_key, v.vin)});
    if (!ctx.is_ok()) return ctx.status();
    out.push_back(std::move(ctx).value());
  }
  return out;
}

}  // namespace fleetgate::telemetry
