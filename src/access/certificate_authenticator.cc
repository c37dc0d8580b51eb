#include "fleetgate/access/certificate_authenticator.h"

#include "fleetgate/access/credentials.h"

namespace fleetgate::access {

Result<http::Principal> CertificateAuthenticator::authenticate(const http::Request& request) const {
  const std::optional<http::PeerCertificate>& cert = request.peer_certificate();
  if (!cert || !http::bearer_token(request).empty()) return tokens_->authenticate(request);
  if (!fleet_ca_subject_.empty() && cert->issuer != fleet_ca_subject_) {
    return Status(Code::kUnauthenticated, "client certificate was not issued by the fleet CA");
  }
  Result<std::string> serial = canonical_serial(cert->serial);
  if (!serial.is_ok()) return Status(Code::kUnauthenticated, "client certificate has no usable serial");
  Result<bool> revoked = revocations_.is_revoked(*serial);
  if (!revoked.is_ok()) return revoked.status();
  if (*revoked) return Status(Code::kUnauthenticated, "client certificate " + *serial + " is revoked");
  Result<vehicle::VehicleRecord> vehicle = registry_.show(cert->common_name);
  if (!vehicle.is_ok()) {
    if (vehicle.status().code() != Code::kNotFound && vehicle.status().code() != Code::kInvalidArgument) {
      return vehicle.status();
    }
    return Status(Code::kUnauthenticated,
                  "client certificate CN '" + cert->common_name.substr(0, 64) + "' is not a registered vehicle");
  }
  return http::Principal{vehicle->vin, {std::string(kVehicleRole)}, {vehicle->region},
                         certificate_credential(*serial)};
}

}  // namespace fleetgate::access
