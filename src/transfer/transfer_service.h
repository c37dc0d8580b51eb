// Cross-border transfers (DESIGN.md "transfer request -> approvals -> export -> signed bundle").
// A transfer moves desensitised telemetry or one model.weights artifact from its home region to
// another, only after residency::Policy allows the class over Channel::kApprovedTransfer and two
// distinct people holding `approver` or `dpo` in the source region (at least one `dpo`, never the
// requester) approved it. State machine, kept in the control-plane store:
//   requested -> approved | rejected | expired;  approved -> exported | expired;  exported -> imported
// Every step and every refusal is appended to the audit chain, in the same atomic write as the
// state change. Bundles are directories (records.jsonl or weights.bin, manifest.json,
// manifest.sig) signed with the source region's Ed25519 key and published by an atomic rename.
// Thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "fleetgate/audit/audit_log.h"
#include "fleetgate/core/result.h"
#include "fleetgate/http/message.h"
#include "fleetgate/privacy/coarsen.h"
#include "fleetgate/privacy/keyring.h"
#include "fleetgate/residency/policy.h"
#include "fleetgate/store/kv_store.h"
#include "fleetgate/telemetry/record_codec.h"
#include "fleetgate/transfer/manifest.h"
#include "fleetgate/transfer/transfer.h"

namespace fleetgate::transfer {

struct ImportResult {
  Manifest manifest;
  uint64_t records = 0;  // desensitised records stored in the destination
  std::string artifact;  // model.weights: the artifact bytes (also stored in the destination)
};

// One region's data home as the transfer service uses it.
struct RegionData {
  store::KvStore* store = nullptr;                  // the region store
  std::shared_ptr<const privacy::RegionKeys> keys;  // its privacy keyring
  std::filesystem::path dir;                        // its data dir: the signing key lives here
  // The region's sealed telemetry for scans of every vehicle (telemetry::RegionTelemetry::records);
  // unset: the region store holds it (the embedded telemetry log), read from a snapshot.
  std::function<Result<std::unique_ptr<store::KvReader>>()> telemetry;
  // What `telemetry` returns, or that snapshot.
  Result<std::unique_ptr<store::KvReader>> records() const;
  // The region's vehicle key store (telemetry::RegionTelemetry::codec); unset: blocks sealed
  // under vehicle keys do not open (tests whose telemetry is sealed under the region's key).
  std::function<std::shared_ptr<privacy::VehicleKeys>()> vehicle_keys;
  // The codec that opens `records`.
  telemetry::RecordCodec codec() const;
};

struct TransferOptions {
  bool auto_approve_model_weights = false;  // [transfer] auto_approve_model_weights
  privacy::CoarsenOptions coarsen;          // grid and time bucket of exported records
};

// Called during export with (records read so far, records to read); may be empty.
using Progress = std::function<void(uint64_t done, uint64_t total)>;

class TransferService {
 public:
  // REQUIRES: `audit` (the control plane: its state and transactions) and every RegionData::store
  // outlive this object.
  // kInvalidArgument for bad coarsen options or a region of the policy's config missing.
  static Result<std::unique_ptr<TransferService>> create(std::shared_ptr<const residency::Policy> policy,
                                                         audit::AuditLog& audit,
                                                         std::map<std::string, RegionData> regions,
                                                         TransferOptions options = {});

  // Files a request by `who` (role operator or admin in the source region) and returns its id.
  // kPermissionDenied when the caller may not request there or residency refuses the class
  // (with the policy's reason); kInvalidArgument for a missing or bad field. Refusals are audited.
  // A model.weights request is approved at once by "policy" when auto_approve_model_weights.
  Result<std::string> request(const http::Principal& who, TransferRequest req);
  // Whether request() approves model.weights at once ([transfer] auto_approve_model_weights), so
  // a caller that cannot wait for two people (a federated run) can refuse before requesting.
  bool auto_approves_model_weights() const;
  // Records `who`'s approval; the second valid one moves the transfer to approved. kPermissionDenied
  // for the requester, a caller without approver/dpo in the source region, a repeat approver, or a
  // second approval when neither approver is a dpo; kFailedPrecondition unless requested.
  Status approve(const http::Principal& who, std::string_view id);
  // Ends a requested or approved transfer. Same role rule as approve(); `reason` is required.
  Status reject(const http::Principal& who, std::string_view id, std::string_view reason);

  // Reads the approved selection from the source region and publishes the signed bundle as
  // out_dir/<id>; returns that path. kFailedPrecondition unless approved (expired ones expire
  // here); kAlreadyExists when out_dir/<id> exists. Nothing is published on error.
  Result<std::filesystem::path> export_bundle(std::string_view id, const std::filesystem::path& out_dir,
                                              std::string_view actor = "system", const Progress& progress = {});
  // Checks manifest.sig against the source region's signing key and every content file against
  // its SHA-256 in the manifest. kDataLoss naming the first problem; kNotFound for a missing dir.
  Result<Manifest> verify_bundle(const std::filesystem::path& bundle) const;
  // Verifies the bundle, checks it is the one exported for an exported transfer whose destination
  // is `dest_region`, and stores its content under "imported/<id>/" in the destination store.
  // kPermissionDenied for a wrong destination or an unapproved transfer; kAlreadyExists when
  // already imported; kDataLoss when verification fails. Refusals are audited.
  Result<ImportResult> import_bundle(const std::filesystem::path& bundle, std::string_view dest_region,
                                     std::string_view actor = "system");

  // kNotFound for an unknown id. Both move overdue transfers to expired first.
  Result<Transfer> get(std::string_view id);
  // Every transfer whose source or destination `who` may act in (all regions for "*"), oldest first.
  Result<std::vector<Transfer>> list(const http::Principal& who);

  // Model artifacts (e.g. training checkpoints) kept in a region store under "artifact/<name>".
  // Names are [A-Za-z0-9._-]{1,128}; kInvalidArgument otherwise, kNotFound for an unknown region
  // or artifact.
  Status put_artifact(std::string_view region, std::string_view name, std::string_view bytes);
  Result<std::string> get_artifact(std::string_view region, std::string_view name) const;

  // The cross-border compliance report of `region` for calendar `year` (cross_border.h): its
  // rule and thresholds; "months": the cumulative individuals at the end of each month with the
  // basis they call for; "brackets_crossed": the months that basis rose; "transfers": the year's
  // desensitised transfers out of the region with their basis type and state, and their count
  // per basis type ("by_basis"); "refusals": the steps the rule refused, from the audit chain.
  // kNotFound when the region has no cross-border rule.
  Result<boost::json::object> cross_border_report(std::string_view region, int year);

  // The PEM public key the bundles of `region` are signed with (created on first use).
  Result<std::string> public_key(std::string_view region) const;

  ~TransferService();

 private:
  struct Impl;
  explicit TransferService(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// How many of `transfers` await a decision (state requested), per region each leaves or enters:
// a transfer counts in both. Regions with none are absent.
std::map<std::string, int> pending_per_region(const std::vector<Transfer>& transfers);

}  // namespace fleetgate::transfer
