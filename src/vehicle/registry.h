// The fleet registry: which vehicles exist, where each is registered (market) and therefore
// homed (region). Every change appends an audit entry in the same atomic, durable write as the
// change itself, so the registry and the audit chain cannot diverge: vehicle records live in
// the audit log's store (the control plane) under "vehicle/<VIN>". A damaged audit chain makes
// every change fail with kDataLoss (fail closed); reads keep working.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fleetgate/audit/audit_log.h"
#include "fleetgate/core/read_through_cache.h"
#include "fleetgate/core/result.h"
#include "fleetgate/residency/policy.h"
#include "fleetgate/vehicle/vehicle_record.h"
#include "fleetgate/vehicle/vin_directory.h"

namespace fleetgate::vehicle {

inline constexpr size_t kDefaultListLimit = 100;
inline constexpr size_t kMaxListLimit = 1000;
inline constexpr size_t kMaxImportRows = 100000;  // one import is one write batch
inline constexpr size_t kMaxLabelBytes = 200;

// The kNotFound of an unregistered VIN. Routes answer exactly this also for a registered vehicle
// outside the caller's grant, so other regions' fleets cannot be probed.
Status not_registered(std::string_view vin);

// OK when this node serves `region` ([node] regions); else kFailedPrecondition naming the region
// and its endpoint when one is configured: a node registers no vehicle of a region it does not
// serve, since that region's data lives in its own stack.
Status check_region_served(const config::Config& config, std::string_view region);

// OK for a reason a change records (a rehome, an erasure): not empty, at most kMaxLabelBytes,
// valid UTF-8 without control characters; else kInvalidArgument naming the problem.
Status check_reason(std::string_view reason);

// Members have initializers so callers can set only what they need: {.region = "eu"}.
struct ListFilter {
  std::string region{};  // exact region id; "" = any (an unknown region is kInvalidArgument)
  std::string market{};  // ISO 3166 alpha-2, case-insensitive; "" = any
  std::string maker{};   // case-insensitive substring of the manufacturer; "" = any
  size_t limit = kDefaultListLimit;  // 1..kMaxListLimit
  std::string cursor{};  // next_cursor of the previous page; "" = from the start
};

struct VehiclePage {
  std::vector<VehicleRecord> vehicles;  // ascending by VIN
  std::string next_cursor;              // "" when there are no more; else pass to the next call
};

struct Rehome {
  VehicleRecord before;
  VehicleRecord after;
};

struct ImportOptions {
  std::string actor{};          // who imports, recorded on every audit entry; required
  std::string source = "csv";   // names the input in audit details, e.g. the file name
  bool all_or_nothing = false;  // when any row is bad, write nothing
};

struct RowError {
  size_t line = 0;  // 1-based line in the input, the header being line 1
  std::string reason;
};

struct ImportReport {
  size_t rows = 0;      // data rows read (blank lines excluded)
  size_t imported = 0;  // vehicles registered by this import
  std::vector<RowError> errors;  // bad rows in input order; their vehicles were not registered
};

class FleetRegistry {
 public:
  // REQUIRES: `audit` (and `directory`, when given) outlive the registry; one registry per audit
  // log. With a directory, every registration, import and rehome records the VINs' regions there,
  // in its own commit when the directory lives in the control store, else before it commits
  // (vin_directory.h); a failed directory write fails the change.
  FleetRegistry(audit::AuditLog& audit, std::shared_ptr<const residency::Policy> policy,
                VinDirectory* directory = nullptr);

  // Registers a vehicle sold in `market`. kInvalidArgument for a bad VIN (the validate() reason),
  // an unconfigured market or a bad label; kAlreadyExists when the VIN is registered;
  // kFailedPrecondition (check_region_served) when the market's region is served elsewhere.
  // Audited as "vehicle.register" by `actor` (required).
  Result<VehicleRecord> register_vehicle(std::string_view vin, std::string_view market, std::string_view label,
                                         std::string_view actor);

  // kNotFound when the VIN is not registered, kInvalidArgument when it is not a VIN. Served from
  // memory after the first read (the gateway asks on every request); every change through this
  // registry drops what it kept before the change returns.
  Result<VehicleRecord> show(std::string_view vin) const;
  // What show() answers from memory, without reading the store: nullopt when it would read it
  // (not yet shown, changed since, or a shared store, of which nothing is kept).
  std::optional<VehicleRecord> shown(std::string_view vin) const { return shown_.peek(vin); }

  // One page of vehicles matching every set filter.
  Result<VehiclePage> list(const ListFilter& filter) const;

  // Moves a vehicle to `new_market` (and that market's region) with a required `reason`.
  // kFailedPrecondition when it is already registered there. Audited as "vehicle.rehome" with
  // the old and new market and region. Data already stored in the old region stays there.
  Result<Rehome> rehome(std::string_view vin, std::string_view new_market, std::string_view actor,
                        std::string_view reason);

  // Erases the vehicle's registration; the erasure of its data comes first and is the caller's
  // (app/vehicle_erasure.h). Its record is deleted and a tombstone under `pseudonym` (its region
  // pseudonym) takes its place, holding no VIN: when, where, by whom and why. Audited as
  // "vehicle.erase" with the pseudonym as subject, the reason and `details`. kNotFound when the
  // VIN is not registered; kInvalidArgument without a reason or actor.
  Result<audit::Entry> erase(std::string_view vin, std::string_view pseudonym, std::string_view actor,
                             std::string_view reason, boost::json::object details);

  // Registers the vehicles of a CSV document (header "vin,market,label"; label optional per
  // row; RFC 4180 quoting within a line). Bad rows, duplicates within the input and VINs already
  // registered are reported by line; the good rows are written in one atomic batch, or nothing
  // when options.all_or_nothing and any row is bad. An error status means nothing was written
  // (missing header, more than kMaxImportRows rows, store failure).
  Result<ImportReport> import_csv(std::string_view csv, const ImportOptions& options);

 private:
  Result<VehicleRecord> prepare(std::string_view vin, std::string_view market, std::string_view label,
                                int64_t now_ms) const;
  Result<VehicleRecord> load(std::string_view vin) const;
  VehicleRecord with_providers(VehicleRecord r) const;
  Result<std::string> region_of_market(std::string_view market) const;
  // Records (VIN, region) pairs in the directory, when there is one: in `change` when it lives in
  // the control store (VinDirectory::record_with).
  Status record_in_directory(const std::vector<std::pair<std::string, std::string>>& vin_regions,
                             store::WriteBatch& change);
  // Writes `change` with its audit `events` in one atomic write, then forgets every shown record.
  Result<std::vector<audit::Entry>> commit(std::vector<audit::Event> events, const store::WriteBatch& change);

  audit::AuditLog& audit_;
  const store::KvReader& store_;  // audit_.state()
  std::shared_ptr<const residency::Policy> policy_;
  VinDirectory* directory_;
  static constexpr size_t kShownEntries = 65536;
  mutable ReadThroughCache<VehicleRecord> shown_;  // caches nothing over a shared store
};

}  // namespace fleetgate::vehicle
