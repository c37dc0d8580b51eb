// The records of the transfer workflow (transfer_service.h) and their JSON forms: what was
// requested, by whom, who approved, and where the transfer stands.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fleetgate/core/result.h"
#include "fleetgate/residency/policy.h"

namespace fleetgate::transfer {

enum class State { kRequested, kApproved, kRejected, kExpired, kExported, kImported };
// "requested", "approved", "rejected", "expired", "exported", "imported".
std::string_view to_string(State s);

// Which telemetry records a desensitised transfer reads: from_ms <= created_at <= to_ms, of the
// listed VINs only (all vehicles of the source region when empty).
struct Selection {
  int64_t from_ms = 0;
  int64_t to_ms = 0;
  std::vector<std::string> vins;
};

struct TransferRequest {
  std::string source_region;
  std::string dest_region;
  residency::DataClass data_class = residency::DataClass::kDesensitised;  // or kModelWeights
  std::vector<std::string> fields;  // desensitised: catalogue field names (telemetry/catalogue.h)
  Selection selection;              // desensitised only
  uint32_t min_group_size = 0;      // desensitised: k; drop (cell, bucket) groups of < k vehicles (0, 1: off)
  std::string artifact;             // model.weights: artifact name in the source region (artifact_store.h)
  std::string purpose;              // required, free text
  std::string legal_basis;          // required, e.g. "GDPR Art. 6(1)(f)", "PIPL Art. 38 standard contract"
  // The kind of that basis (cross_border.h: none, standard_contract, certification,
  // security_assessment); required for desensitised transfers out of a region with a
  // cross-border rule, "" elsewhere.
  std::string basis_type;
  std::string assessment_ref;       // required: reference of the security assessment
  int64_t expires_at_ms = 0;        // required, in the future: unexported after this, the transfer expires
};

struct Approval {
  std::string approver;  // user name, or "policy" for an auto-approval
  std::string role;      // "dpo", "approver" or "policy"
  int64_t time_ms = 0;
};

struct Transfer {
  std::string id;  // "tr_" + 20 lowercase hex digits
  TransferRequest request;
  std::string requester;  // user name
  State state = State::kRequested;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  std::vector<Approval> approvals;
  std::string rejected_by;      // set when rejected
  std::string reject_reason;
  std::string manifest_sha256;  // set when exported: SHA-256 of the signed manifest.json
};

// The JSON of a transfer for API responses and `transfer show`.
boost::json::object to_json(const Transfer& t);
// Parses the JSON body of POST /v1/transfers: {"source_region","dest_region","data_class",
// "fields":[..],"from_ms","to_ms","vins":[..],"min_group_size","artifact","purpose","legal_basis",
// "basis_type","assessment_ref","expires_at_ms"} (times in ms since the epoch; fields, from/to,
// vins, min_group_size, artifact and basis_type optional here). kInvalidArgument naming the offending key; checks of
// meaning (regions, fields, the class) are TransferService::request's.
Result<TransferRequest> parse_request(const boost::json::object& body);
boost::json::object to_json(const TransferRequest& r);
// The stored form back (to_json(Transfer)). kDataLoss when it is not one.
Result<Transfer> transfer_from_json(std::string_view text);

}  // namespace fleetgate::transfer
