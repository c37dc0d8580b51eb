// Cross-border thresholds (config::CrossBorderRule; China's 2024 Provisions on cross-border data
// flows): which individuals' personal information left a region in a calendar year, and the legal
// basis that number calls for. An individual is a vehicle, counted once a year per kind however
// many transfers carried it: in `general` when a transfer carried any field not listed as
// sensitive, in `sensitive` when it carried a sensitive one. Pseudonymised and desensitised records
// count: a re-keyed pseudonym is de-identified, not anonymous.
//
// Kept in the source region's own store (the individuals never leave it):
//   xborder/<YYYY>/<general|sensitive>/<region pseudonym> -> "<YYYY-MM> <transfer id>" (first export)
// and, for the owner's access to their data, every transfer that carried a vehicle, whatever the
// rule:
//   carried/<region pseudonym>/<transfer id> -> "<ms of the export>"
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fleetgate/core/config.h"
#include "fleetgate/core/result.h"
#include "fleetgate/store/kv_store.h"

namespace fleetgate::transfer {

// The legal basis a transfer request records, weakest first: none (exempt), a filed standard
// contract or a certification (equally strong), a security assessment by the CAC.
enum class Basis { kNone, kStandardContract, kCertification, kSecurityAssessment };
// "none", "standard_contract", "certification", "security_assessment".
std::string_view to_string(Basis b);
Result<Basis> parse_basis(std::string_view text);  // kInvalidArgument naming the four

// What a transfer's fields make of it under `rule`.
struct FieldKinds {
  bool general = false;    // a field not listed as sensitive
  bool sensitive = false;  // a sensitive_fields field
  bool important = false;  // an important_fields field: important data
};
FieldKinds classify(const config::CrossBorderRule& rule, const std::vector<std::string>& fields);

// "YYYY-MM" of `time_ms` (UTC), the calendar month counts are kept by.
std::string month_of(int64_t time_ms);

struct YearCounts {
  uint64_t general = 0;
  uint64_t sensitive = 0;
};

// The basis `counts` (and important data) call for:
//   security assessment  important data, general > assessment_above or sensitive > sensitive_assessment_above;
//   standard contract    general >= exempt_below, or any sensitive;
//   none                 otherwise.
Basis required_basis(const config::CrossBorderRule& rule, const YearCounts& counts, bool important);

// OK when `recorded` is at least as strong as what the counts call for, else kFailedPrecondition
// naming the counts, the basis needed and the rule's reference.
Status check_basis(const config::CrossBorderRule& rule, Basis recorded, const YearCounts& counts, bool important);

// The year's counts in `region` if `individuals` (region pseudonyms, a transfer's vehicles) left
// now with `kinds`: those stored, plus those not stored yet.
Result<YearCounts> projected_counts(const store::KvReader& region, int year, const std::vector<std::string>& individuals,
                                    FieldKinds kinds);

// Records `individuals` as having left in `month` ("YYYY-MM") through `transfer_id`; those
// already recorded this year keep their first export.
Status record_exported(store::KvStore& region, std::string_view month, std::string_view transfer_id,
                       const std::vector<std::string>& individuals, FieldKinds kinds);

// Records that the export of `transfer_id` at `time_ms` carried `individuals`.
Status record_carried(store::KvStore& region, std::string_view transfer_id, int64_t time_ms,
                      const std::vector<std::string>& individuals);

// The transfers whose export carried the vehicle `pseudonym`, by transfer id.
struct Carried {
  std::string transfer_id;
  int64_t time_ms = 0;
};
Result<std::vector<Carried>> transfers_carrying(const store::KvReader& region, std::string_view pseudonym);

// Cumulative counts of `year` at the end of each month, January first (12 entries).
Result<std::vector<YearCounts>> monthly_counts(const store::KvReader& region, int year);

}  // namespace fleetgate::transfer
