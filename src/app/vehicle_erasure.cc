#include "fleetgate/app/vehicle_erasure.h"

#include "fleetgate/access/credentials.h"
#include "fleetgate/app/vehicle_states.h"
#include "fleetgate/vehicle/registry.h"

namespace fleetgate::app {

namespace json = boost::json;

Result<VehicleErasure> erase_vehicle(ControlPlane& cp, telemetry::RegionTelemetry& telemetry, store::KvStore& region_store,
                                     http::SessionRegistry* sessions, std::string_view vin, std::string_view actor,
                                     std::string_view reason) {
  // Checked before anything is destroyed: a bad reason must not leave an erasure half done.
  if (Status s = vehicle::check_reason(reason); !s.is_ok()) return s;
  auto record = cp.registry->show(vin);
  if (!record.is_ok()) return record.status();
  if (record->region != telemetry.region()) {
    return failed_precondition("vehicle " + record->vin + " is homed in region '" + record->region + "', not '" +
                               telemetry.region() + "'");
  }
  VehicleErasure out;
  out.region = record->region;
  Status revoked = cp.credentials->revoke_vehicle_token(record->vin, record->region, actor);
  if (!revoked.is_ok() && revoked.code() != Code::kNotFound) return revoked;
  out.token_revoked = revoked.is_ok();
  // The owner's token and every grant end too: nothing is left to read.
  Status owner = cp.credentials->revoke_owner_token(record->vin, record->region, actor);
  if (!owner.is_ok() && owner.code() != Code::kNotFound) return owner;
  auto grants = cp.credentials->grants(record->vin);
  if (!grants.is_ok()) return grants.status();
  auto revoked_grants = cp.credentials->revoke_grants(record->vin, actor);
  if (!revoked_grants.is_ok()) return revoked_grants.status();
  if (sessions != nullptr) {
    sessions->end(access::vehicle_token_credential(record->vin));
    sessions->end(access::owner_token_credential(record->vin));
    for (const auto& g : *grants) sessions->end(access::grant_credential(g.id));
  }
  auto erased = telemetry.erase(record->vin);
  if (!erased.is_ok()) return erased.status();
  out.pseudonym = erased->pseudonym;
  out.key_generation = erased->key_generation;
  out.blocks = erased->blocks;
  if (Status s = region_store.remove(std::string(kReportedStatePrefix) + out.pseudonym); !s.is_ok()) return s;
  json::object details{{"telemetry_blocks", out.blocks}, {"token_revoked", out.token_revoked}};
  details["key_generation"] = out.key_generation ? json::value(*out.key_generation) : json::value(nullptr);
  auto entry = cp.registry->erase(record->vin, out.pseudonym, actor, reason, std::move(details));
  if (!entry.is_ok()) return entry.status();
  out.audit_seq = entry->seq;
  return out;
}

json::object to_json(const VehicleErasure& e) {
  json::object o{{"object", "vehicle.erasure"},
                 {"pseudonym", e.pseudonym},
                 {"region", e.region},
                 {"telemetry_blocks", e.blocks},
                 {"token_revoked", e.token_revoked},
                 {"audit_seq", e.audit_seq}};
  o["key_generation"] = e.key_generation ? json::value(*e.key_generation) : json::value(nullptr);
  return o;
}

}  // namespace fleetgate::app
