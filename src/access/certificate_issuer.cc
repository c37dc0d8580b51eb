#include "fleetgate/access/certificate_issuer.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

namespace fleetgate::access {

namespace {

boost::json::object details_of(const IssuedCertificate& c) {
  return {{"serial", c.serial}, {"subject", c.subject}, {"not_after_ms", c.not_after_ms}};
}

}  // namespace

template <typename Sign>
Result<IssuedCertificate> CertificateIssuer::issue_for_vehicle(std::string_view vin, std::string_view actor, Sign sign) {
  Result<vehicle::VehicleRecord> record = registry_.show(vin);
  if (!record.is_ok()) return record.status();
  Result<IssuedCertificate> issued = sign(record->vin);
  if (!issued.is_ok()) return issued.status();
  boost::json::object details = details_of(*issued);
  details["key"] = issued->key_pem.empty() ? "kept by the vehicle (signed request)" : "issued with the certificate";
  auto logged =
      audit_.append(audit::Event{std::string(actor), "vehicle.cert.issue", record->vin, record->region, std::move(details)});
  if (!logged.is_ok()) return logged.status();
  return issued;
}

Result<IssuedCertificate> CertificateIssuer::issue_vehicle(std::string_view vin, std::string_view actor,
                                                           const Validity& validity) {
  return issue_for_vehicle(vin, actor, [&](const std::string& name) { return ca_.issue_client(name, validity); });
}

Result<IssuedCertificate> CertificateIssuer::issue_vehicle_for_request(std::string_view vin, std::string_view request_pem,
                                                                       std::string_view actor, const Validity& validity) {
  return issue_for_vehicle(vin, actor,
                           [&](const std::string& name) { return ca_.sign_client_request(request_pem, name, validity); });
}

Result<IssuedCertificate> CertificateIssuer::issue_server(const std::vector<std::string>& hosts, std::string_view actor,
                                                          const Validity& validity) {
  Result<IssuedCertificate> issued = ca_.issue_server(hosts, validity);
  if (!issued.is_ok()) return issued.status();
  boost::json::object details = details_of(*issued);
  boost::json::array names;
  for (const std::string& h : hosts) names.emplace_back(h);
  details["hosts"] = std::move(names);
  auto logged = audit_.append(audit::Event{std::string(actor), "server.cert.issue", hosts.front(), "", std::move(details)});
  if (!logged.is_ok()) return logged.status();
  return issued;
}

}  // namespace fleetgate::access
