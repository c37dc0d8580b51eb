// Vehicles by client certificate (mTLS). A request that carries no bearer token but a client
// certificate the server verified (server.tls.client_ca) is the vehicle named by the
// certificate's CN when that CN is a registered VIN and the certificate was issued by the fleet
// CA and is not revoked (CertificateRevocations): Principal{VIN, role "vehicle", its current home
// region, credential certificate_credential(serial)}. Any other certificate is refused
// (unauthenticated). Requests with a bearer token, or without a certificate, are decided by the
// token authenticator, so the per-vehicle token stays an alternative.
#pragma once

#include <memory>
#include <string>

#include "fleetgate/access/certificate_revocations.h"
#include "fleetgate/http/auth.h"
#include "fleetgate/vehicle/registry.h"

namespace fleetgate::access {

class CertificateAuthenticator : public http::Authenticator {
 public:
  // `fleet_ca_subject`: FleetCa::subject() of the CA whose certificates name vehicles; empty
  // accepts any issuer the server's client_ca verified.
  // REQUIRES: `registry` and `revocations` outlive this object.
  CertificateAuthenticator(const vehicle::FleetRegistry& registry, const CertificateRevocations& revocations,
                           std::string fleet_ca_subject, std::shared_ptr<const http::Authenticator> tokens)
      : registry_(registry),
        revocations_(revocations),
        fleet_ca_subject_(std::move(fleet_ca_subject)),
        tokens_(std::move(tokens)) {}

  Result<http::Principal> authenticate(const http::Request& request) const override;

 private:
  const vehicle::FleetRegistry& registry_;
  const CertificateRevocations& revocations_;
  std::string fleet_ca_subject_;
  std::shared_ptr<const http::Authenticator> tokens_;
};

}  // namespace fleetgate::access
