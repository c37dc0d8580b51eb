#include "fleetgate/transfer/transfer_service.h"

#include <algorithm>
#include <boost/json.hpp>
#include <set>

#include "fleetgate/core/digest.h"
#include "fleetgate/telemetry/catalogue.h"
#include "fleetgate/transfer/artifact_store.h"
#include "fleetgate/transfer/bundle.h"
#include "fleetgate/transfer/cross_border.h"
#include "fleetgate/transfer/desensitised_export.h"
#include "fleetgate/transfer/json_reader.h"
#include "fleetgate/transfer/signing_key.h"

namespace fleetgate::transfer {

Result<std::unique_ptr<store::KvReader>> RegionData::records() const {
  if (telemetry) return telemetry();
  return store->snapshot();
}

telemetry::RecordCodec RegionData::codec() const { return telemetry::RecordCodec(keys, vehicle_keys ? vehicle_keys() : nullptr); }
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using residency::DataClass;

constexpr std::string_view kTransferPrefix = "transfer/";
constexpr std::string_view kImportedPrefix = "imported/";
constexpr std::string_view kPolicyActor = "policy";

std::string transfer_key(std::string_view id) { return std::string(kTransferPrefix) + std::string(id); }
std::string imported_key(std::string_view id, std::string_view what) {
  return std::string(kImportedPrefix) + std::string(id) + "/" + std::string(what);
}
std::string record_key(std::string_view id, uint64_t index) {
  std::string key = imported_key(id, "records/");
  for (int shift = 56; shift >= 0; shift -= 8) key.push_back(static_cast<char>((index >> shift) & 0xFF));
  return key;
}

std::string user_actor(const http::Principal& who) { return "user:" + who.subject; }

// The role an approval counts as: "dpo" when the caller holds it, else "approver"; empty when neither.
std::string approving_role(const http::Principal& who) {
  if (who.has_role("dpo")) return "dpo";
  if (who.has_role("approver")) return "approver";
  return {};
}

// Two distinct people other than the requester, at least one dpo; or the policy alone for
// model.weights it was configured to approve.
bool approvals_complete(const Transfer& t) {
  if (t.approvals.size() == 1 && t.approvals[0].role == kPolicyActor) {
    return t.request.data_class == DataClass::kModelWeights;
  }
  std::set<std::string> people;
  bool dpo = false;
  for (const auto& a : t.approvals) {
    if (a.approver == t.requester || a.role == kPolicyActor) return false;
    people.insert(a.approver);
    dpo = dpo || a.role == "dpo";
  }
  return people.size() >= 2 && dpo;
}

Status check_nonempty(std::string_view value, std::string_view name) {
  if (value.empty()) return invalid_argument(std::string(name) + " is required");
  return Status::ok();
}

// The approved fields as catalogue entries.
Result<std::vector<telemetry::Field>> catalogue_fields(const std::vector<std::string>& names) {
  std::vector<telemetry::Field> out;
  for (const auto& name : names) {
    const telemetry::FieldSpec* f = telemetry::find_field(name);
    if (f == nullptr) return invalid_argument("fields: unknown telemetry field '" + name + "'");
    if (std::find(out.begin(), out.end(), f->field) == out.end()) out.push_back(f->field);
  }
  return out;
}

std::vector<std::string> approver_names(const Transfer& t) {
  std::vector<std::string> out;
  for (const auto& a : t.approvals) out.push_back(a.approver);
  return out;
}

}  // namespace

struct TransferService::Impl {
  std::shared_ptr<const residency::Policy> policy;
  audit::AuditLog& audit;
  const store::KvReader& control;  // audit.state(): where transfers are kept
  std::map<std::string, RegionData> regions;
  TransferOptions options;
  privacy::Coarsener coarsener;
  std::mutex mu;  // serialises every read-modify-write of a transfer
  mutable std::mutex keys_mu;
  mutable std::map<std::string, std::unique_ptr<SigningKey>> signing_keys;  // by region, guarded by keys_mu

  Impl(std::shared_ptr<const residency::Policy> p, audit::AuditLog& a, std::map<std::string, RegionData> r,
       TransferOptions o, privacy::Coarsener co)
      : policy(std::move(p)), audit(a), control(a.state()), regions(std::move(r)), options(std::move(o)),
        coarsener(std::move(co)) {}

  int64_t now() const { return audit.now_ms(); }

  Result<const RegionData*> region(std::string_view id) const {
    auto it = regions.find(std::string(id));
    if (it == regions.end()) return not_found("unknown region '" + std::string(id) + "'");
    return &it->second;
  }

  Result<const SigningKey*> signing_key(std::string_view region_id) const {
    auto r = region(region_id);
    if (!r.is_ok()) return r.status();
    std::lock_guard lock(keys_mu);
    auto& key = signing_keys[std::string(region_id)];
    if (!key) {
      auto opened = SigningKey::open((*r)->dir);
      if (!opened.is_ok()) return opened.status();
      key = std::move(opened).value();
    }
    return key.get();
  }

  Result<Transfer> load(std::string_view id) const {
    auto text = control.get(transfer_key(id));
    if (!text.is_ok() && text.status().code() == Code::kNotFound) return not_found("no transfer '" + std::string(id) + "'");
    if (!text.is_ok()) return text.status();
    return transfer_from_json(*text);
  }

  // Stores `t` and its audit entries in one atomic durable write.
  Status commit(Transfer& t, std::vector<audit::Event> events) {
    t.updated_ms = now();
    store::WriteBatch batch;
    batch.put(transfer_key(t.id), json::serialize(to_json(t)));
    auto written = audit.append_with(std::move(events), batch);
    return written.is_ok() ? Status::ok() : written.status();
  }

  // Audits a refused step and hands back why (or the audit error: nothing is refused silently).
  Status refuse(std::string_view actor, std::string_view step, std::string_view id, std::string_view region_id,
                const Status& why) {
    json::object details{{"step", step}, {"code", code_name(why.code())}, {"reason", why.message()}};
    auto entry = audit.append({std::string(actor), "transfer.refuse", std::string(id), std::string(region_id), std::move(details)});
    return entry.is_ok() ? why : entry.status();
  }

  // Moves a requested or approved transfer past its expiry to expired (audited).
  Status expire_if_due(Transfer& t) {
    if ((t.state != State::kRequested && t.state != State::kApproved) || now() < t.request.expires_at_ms) {
      return Status::ok();
    }
    t.state = State::kExpired;
    return commit(t, {{std::string(kPolicyActor), "transfer.expire", t.id, t.request.source_region,
                       json::object{{"expires_at_ms", t.request.expires_at_ms}}}});
  }

  Result<Transfer> load_current(std::string_view id) {
    auto t = load(id);
    if (!t.is_ok()) return t;
    if (Status s = expire_if_due(*t); !s.is_ok()) return s;
    return t;
  }

  Status check_requester(const http::Principal& who, const TransferRequest& req) const {
    if (!who.has_role("operator") && !who.has_role("admin")) {
      return permission_denied("requesting a transfer needs the operator or admin role");
    }
    for (const auto* r : {&req.source_region, &req.dest_region}) {
      if (policy->config().region(*r) == nullptr) return invalid_argument("unknown region '" + *r + "'");
      if (!regions.contains(*r)) return failed_precondition("region '" + *r + "' is not served by this node");
    }
    if (!who.may_act_in(req.source_region)) {
      return permission_denied("'" + who.subject + "' may not request transfers out of region " + req.source_region);
    }
    return Status::ok();
  }

  Status check_request(const TransferRequest& req) const {
    if (req.source_region == req.dest_region) return invalid_argument("source and destination are the same region");
    const residency::Decision d =
        policy->decide(req.data_class, req.source_region, req.dest_region, residency::Channel::kApprovedTransfer);
    if (!d.allowed) return permission_denied(d.reason);
    for (auto [value, name] : {std::pair{&req.purpose, "purpose"}, {&req.legal_basis, "legal_basis"},
                               {&req.assessment_ref, "assessment_ref"}}) {
      if (Status s = check_nonempty(*value, name); !s.is_ok()) return s;
    }
    if (req.expires_at_ms <= now()) return invalid_argument("expires_at_ms must be in the future");
    if (req.data_class == DataClass::kDesensitised) {
      if (req.fields.empty()) return invalid_argument("fields: name at least one telemetry field");
      if (auto f = catalogue_fields(req.fields); !f.is_ok()) return f.status();
      if (req.selection.from_ms > req.selection.to_ms) return invalid_argument("from_ms must not be after to_ms");
      if (!req.artifact.empty()) return invalid_argument("artifact: only model.weights transfers carry an artifact");
      return check_basis_type(req);
    }
    if (req.data_class == DataClass::kModelWeights) {
      if (!req.fields.empty() || !req.selection.vins.empty()) {
        return invalid_argument("fields and vins: a model.weights transfer carries an artifact, not telemetry");
      }
      auto bytes = transfer::get_artifact(*regions.at(req.source_region).store, req.artifact);
      return bytes.is_ok() ? Status::ok() : bytes.status();
    }
    return invalid_argument("data_class: transfers carry desensitised telemetry or model.weights, not " +
                            std::string(residency::to_string(req.data_class)));
  }

  // The cross-border rule a transfer falls under: desensitised telemetry out of a region with one.
  const config::CrossBorderRule* cross_border_rule(const TransferRequest& req) const {
    if (req.data_class != DataClass::kDesensitised) return nullptr;
    return policy->config().cross_border_rule(req.source_region);
  }

  // A transfer under a cross-border rule names its basis type; important data needs an assessment
  // whatever the counts.
  Status check_basis_type(const TransferRequest& req) const {
    const config::CrossBorderRule* rule = cross_border_rule(req);
    if (rule == nullptr) return req.basis_type.empty() ? Status::ok() : parse_basis(req.basis_type).status();
    if (req.basis_type.empty()) {
      return invalid_argument("basis_type is required for transfers out of " + req.source_region + " (" + rule->reference +
                              "): none, standard_contract, certification or security_assessment");
    }
    auto basis = parse_basis(req.basis_type);
    if (!basis.is_ok()) return basis.status();
    const FieldKinds kinds = classify(*rule, req.fields);
    return kinds.important ? check_basis(*rule, *basis, {}, true) : Status::ok();
  }

  // The individuals `t` would carry out of its region now (its export, without publishing it);
  // empty when no cross-border rule applies.
  Result<std::vector<std::string>> individuals_of(const Transfer& t) const {
    if (cross_border_rule(t.request) == nullptr) return std::vector<std::string>{};
    auto records = read_records(t, {});
    if (!records.is_ok()) return records.status();
    return std::move(records->individuals);
  }

  // The desensitised records of `t`'s selection in its source region, as its export writes them.
  Result<ExportedRecords> read_records(const Transfer& t, const Progress& progress) const {
    auto fields = catalogue_fields(t.request.fields);
    if (!fields.is_ok()) return fields.status();
    const RegionData& source = regions.at(t.request.source_region);
    auto reader = source.records();
    if (!reader.is_ok()) return reader.status();
    const ExportSpec spec{t.id, *fields, t.request.selection.from_ms, t.request.selection.to_ms,
                          t.request.selection.vins, t.request.min_group_size};
    return export_desensitised(**reader, source.codec(), coarsener, spec, progress);
  }

  // Whether `t`'s recorded basis covers the year's count with `individuals` added.
  Status check_cross_border(const Transfer& t, const std::vector<std::string>& individuals) const {
    const config::CrossBorderRule* rule = cross_border_rule(t.request);
    if (rule == nullptr) return Status::ok();
    auto basis = parse_basis(t.request.basis_type);
    if (!basis.is_ok()) return basis.status();
    const FieldKinds kinds = classify(*rule, t.request.fields);
    auto counts = projected_counts(*regions.at(t.request.source_region).store, std::stoi(month_of(now()).substr(0, 4)),
                                   individuals, kinds);
    if (!counts.is_ok()) return counts.status();
    return check_basis(*rule, *basis, *counts, kinds.important);
  }

  Status check_approver(const http::Principal& who, const Transfer& t, std::string_view action) const {
    if (approving_role(who).empty()) return permission_denied(std::string(action) + " needs the approver or dpo role");
    if (!who.may_act_in(t.request.source_region)) {
      return permission_denied("'" + who.subject + "' may not " + std::string(action) + " transfers out of region " +
                               t.request.source_region);
    }
    return Status::ok();
  }

  // `individuals`: individuals_of(the transfer), read before the transaction.
  Result<Transfer> approve(const http::Principal& who, std::string_view id, const std::vector<std::string>& individuals) {
    auto t = load_current(id);
    if (!t.is_ok()) return t.status();
    if (Status s = check_approver(who, *t, "approve"); !s.is_ok()) return s;
    if (t->state != State::kRequested) {
      return failed_precondition("transfer " + t->id + " is " + std::string(to_string(t->state)) + ", not requested");
    }
    if (who.subject == t->requester) return permission_denied("the requester cannot approve their own transfer");
    const std::string role = approving_role(who);
    for (const auto& a : t->approvals) {
      if (a.approver == who.subject) return permission_denied(who.subject + " already approved " + t->id);
      if (role != "dpo" && a.role != "dpo") {
        return permission_denied("one of the two approvers must hold the dpo role");
      }
    }
    if (Status s = check_cross_border(*t, individuals); !s.is_ok()) return s;
    t->approvals.push_back({who.subject, role, now()});
    if (approvals_complete(*t)) t->state = State::kApproved;
    Status s = commit(*t, {{user_actor(who), "transfer.approve", t->id, t->request.source_region,
                            json::object{{"approver", who.subject}, {"role", role},
                                         {"approvals", t->approvals.size()}, {"state", to_string(t->state)}}}});
    if (!s.is_ok()) return s;
    return t;
  }

  Result<BundleContent> build_bundle(const Transfer& t, const fs::path& out_dir, const Progress& progress) {
    const residency::Decision d = policy->decide(t.request.data_class, t.request.source_region, t.request.dest_region,
                                                 residency::Channel::kApprovedTransfer);
    if (!d.allowed) return permission_denied(d.reason);
    const RegionData& source = regions.at(t.request.source_region);
    Manifest m;
    m.transfer_id = t.id;
    m.source_region = t.request.source_region;
    m.dest_region = t.request.dest_region;
    m.data_class = std::string(residency::to_string(t.request.data_class));
    m.approvers = approver_names(t);
    m.created_ms = now();
    std::map<std::string, std::string> files;
    if (t.request.data_class == DataClass::kModelWeights) {
      auto bytes = transfer::get_artifact(*source.store, t.request.artifact);
      if (!bytes.is_ok()) return bytes.status();
      m.artifact = t.request.artifact;
      files.emplace(kWeightsFile, std::move(bytes).value());
    } else {
      auto records = read_records(t, progress);
      if (!records.is_ok()) return records.status();
      // Checked again on what actually leaves, then counted before the bundle exists: a failure
      // after this point can only over-count, never let an individual leave uncounted.
      if (Status s = check_cross_border(t, records->individuals); !s.is_ok()) return s;
      if (const config::CrossBorderRule* rule = cross_border_rule(t.request)) {
        Status counted = record_exported(*source.store, month_of(now()), t.id,
                                         records->individuals, classify(*rule, t.request.fields));
        if (!counted.is_ok()) return counted;
      }
      if (Status s = record_carried(*source.store, t.id, now(), records->individuals); !s.is_ok()) return s;
      m.fields = t.request.fields;
      m.from_ms = t.request.selection.from_ms;
      m.to_ms = t.request.selection.to_ms;
      m.records = records->records;
      m.vehicles = records->vehicles;
      m.suppressed = records->suppressed;
      m.min_group_size = t.request.min_group_size;
      files.emplace(kRecordsFile, std::move(records->jsonl));
    }
    auto key = signing_key(m.source_region);
    if (!key.is_ok()) return key.status();
    return publish_bundle(out_dir, t.id, std::move(m), std::move(files), **key);
  }

  Result<fs::path> export_bundle(std::string_view id, const fs::path& out_dir, std::string_view actor,
                                 const Progress& progress) {
    auto exportable = [&]() -> Result<Transfer> {
      auto t = load_current(id);
      if (!t.is_ok()) return t.status();
      if (t->state != State::kApproved) {
        return failed_precondition("transfer " + t->id + " is " + std::string(to_string(t->state)) + ", not approved");
      }
      if (!approvals_complete(*t)) return permission_denied("transfer " + t->id + " lacks its approvals");
      return t;
    };
    auto t = audit.transact(exportable);
    if (!t.is_ok()) return t.status();
    // Built outside any transaction (an export may read millions of records), then recorded in a
    // short one that decides again on the stored transfer: another node may have exported,
    // rejected, or expired it meanwhile.
    auto content = build_bundle(*t, out_dir, progress);
    if (!content.is_ok()) return content.status();
    const fs::path bundle = out_dir / t->id;
    const std::string manifest_sha256 = sha256_hex(content->manifest_bytes);
    Status s = audit.transact([&]() -> Status {
      auto now = exportable();
      if (!now.is_ok()) return now.status();
      now->state = State::kExported;
      now->manifest_sha256 = manifest_sha256;
      return commit(*now, {{std::string(actor), "transfer.export", now->id, now->request.source_region,
                            json::object{{"bundle", bundle.string()},
                                         {"dest_region", now->request.dest_region},
                                         {"records", content->manifest.records},
                                         {"vehicles", content->manifest.vehicles},
                                         {"suppressed", content->manifest.suppressed},
                                         {"manifest_sha256", manifest_sha256}}}});
    });
    if (!s.is_ok()) {
      std::error_code ec;
      fs::remove_all(bundle, ec);  // unrecorded exports must not look complete
      return s;
    }
    return bundle;
  }

  Result<BundleContent> read_verified(const fs::path& bundle) const {
    auto peeked = peek_manifest(bundle);
    if (!peeked.is_ok()) return peeked.status();
    if (!regions.contains(peeked->source_region)) {
      return data_loss("bundle names an unknown source region '" + peeked->source_region + "'");
    }
    auto key = signing_key(peeked->source_region);
    if (!key.is_ok()) return key.status();
    return read_bundle(bundle, (*key)->public_pem());
  }

  Status check_importable(const Manifest& m, const Transfer& t, std::string_view dest, std::string_view manifest_sha) const {
    if (m.dest_region != dest || t.request.dest_region != dest) {
      return permission_denied("bundle " + t.id + " is for region " + m.dest_region + ", not " + std::string(dest));
    }
    if (t.state == State::kImported) return already_exists("transfer " + t.id + " was already imported");
    if (t.state != State::kExported || !approvals_complete(t)) {
      return permission_denied("transfer " + t.id + " is " + std::string(to_string(t.state)) + ", not approved and exported");
    }
    if (manifest_sha != t.manifest_sha256 || m.source_region != t.request.source_region) {
      return permission_denied("bundle is not the one exported for transfer " + t.id);
    }
    return Status::ok();
  }

  // The destination-store batch that holds an imported bundle's content.
  Result<store::WriteBatch> import_batch(const BundleContent& content) const {
    const Manifest& m = content.manifest;
    store::WriteBatch batch;
    batch.put(imported_key(m.transfer_id, "manifest"), content.manifest_bytes);
    if (m.data_class == residency::to_string(DataClass::kModelWeights)) {
      auto it = content.files.find(std::string(kWeightsFile));
      if (it == content.files.end()) return data_loss("bundle lacks weights.bin");
      batch.put(imported_key(m.transfer_id, "artifact"), it->second);
      return batch;
    }
    auto it = content.files.find(std::string(kRecordsFile));
    if (it == content.files.end()) return data_loss("bundle lacks records.jsonl");
    std::string_view rest = it->second;
    uint64_t n = 0;
    while (!rest.empty()) {
      const size_t end = rest.find('\n');
      if (end == std::string_view::npos) return data_loss("records.jsonl ends without a newline");
      batch.put(record_key(m.transfer_id, n++), rest.substr(0, end));
      rest.remove_prefix(end + 1);
    }
    if (n != m.records) return data_loss("records.jsonl holds " + std::to_string(n) + " records, the manifest says " + std::to_string(m.records));
    return batch;
  }

  Result<ImportResult> import_bundle(const fs::path& bundle, std::string_view dest, std::string_view actor) {
    auto content = read_verified(bundle);
    if (!content.is_ok()) return content.status();
    auto dest_region = region(dest);
    if (!dest_region.is_ok()) return invalid_argument(dest_region.status().message());
    const Manifest& m = content->manifest;
    auto t = load(m.transfer_id);
    if (!t.is_ok() && t.status().code() == Code::kNotFound) {
      return permission_denied("no approved transfer '" + m.transfer_id + "' is on record");
    }
    if (!t.is_ok()) return t.status();
    if (Status s = check_importable(m, *t, dest, sha256_hex(content->manifest_bytes)); !s.is_ok()) return s;
    auto batch = import_batch(*content);
    if (!batch.is_ok()) return batch.status();
    store::KvStore& dest_store = *(*dest_region)->store;
    // A previous import that stored the content but died before recording it is finished here.
    auto stored = dest_store.get(imported_key(m.transfer_id, "manifest"));
    if (stored.is_ok() && *stored != content->manifest_bytes) return already_exists("region " + std::string(dest) + " already holds another bundle " + m.transfer_id);
    if (!stored.is_ok() && stored.status().code() != Code::kNotFound) return stored.status();
    if (!stored.is_ok()) {
      if (Status s = dest_store.write(*batch); !s.is_ok()) return s;
    }
    t->state = State::kImported;
    ImportResult result{m, m.records, {}};
    if (auto it = content->files.find(std::string(kWeightsFile)); it != content->files.end()) result.artifact = it->second;
    Status s = commit(*t, {{std::string(actor), "transfer.import", t->id, std::string(dest),
                            json::object{{"source_region", m.source_region},
                                         {"records", m.records},
                                         {"artifact_bytes", result.artifact.size()},
                                         {"manifest_sha256", t->manifest_sha256}}}});
    if (!s.is_ok()) return s;
    return result;
  }
};

TransferService::TransferService(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TransferService::~TransferService() = default;

Result<std::unique_ptr<TransferService>> TransferService::create(std::shared_ptr<const residency::Policy> policy,
                                                                 audit::AuditLog& audit,
                                                                 std::map<std::string, RegionData> regions,
                                                                 TransferOptions options) {
  for (const auto& r : policy->config().regions) {
    if (!policy->config().serves(r.id)) continue;  // unknown here: transfers to or from it are refused
    auto it = regions.find(r.id);
    if (it == regions.end() || it->second.store == nullptr || !it->second.keys) {
      return invalid_argument("transfer service: region '" + r.id + "' has no store or keys");
    }
  }
  for (const auto& rule : policy->config().cross_border) {
    for (const auto* list : {&rule.sensitive_fields, &rule.important_fields}) {
      if (auto f = catalogue_fields(*list); !f.is_ok()) return invalid_argument(rule.where.describe() + ": " + f.status().message());
    }
  }
  auto coarsener = privacy::Coarsener::create(options.coarsen);
  if (!coarsener.is_ok()) return coarsener.status();
  return std::unique_ptr<TransferService>(new TransferService(std::make_unique<Impl>(
      std::move(policy), audit, std::move(regions), std::move(options), std::move(coarsener).value())));
}

bool TransferService::auto_approves_model_weights() const { return impl_->options.auto_approve_model_weights; }

Result<std::string> TransferService::request(const http::Principal& who, TransferRequest req) {
  std::lock_guard lock(impl_->mu);
  return impl_->audit.transact([&]() -> Result<std::string> {
    const std::string actor = user_actor(who);
    Status s = impl_->check_requester(who, req);
    if (s.is_ok()) s = impl_->check_request(req);
    if (!s.is_ok()) return impl_->refuse(actor, "request", "", req.source_region, s);

    Transfer t;
    t.id = "tr_" + sha256_hex(random_token(16)).substr(0, 20);
    t.request = req;  // a copy: a lost race runs this again
    t.requester = who.subject;
    t.created_ms = impl_->now();
    const TransferRequest& r = t.request;
    std::vector<audit::Event> events{{actor, "transfer.request", t.id, r.source_region,
                                      json::object{{"dest_region", r.dest_region},
                                                   {"data_class", residency::to_string(r.data_class)},
                                                   {"fields", detail::to_json_array(r.fields)},
                                                   {"artifact", r.artifact},
                                                   {"purpose", r.purpose},
                                                   {"legal_basis", r.legal_basis},
                                                   {"assessment_ref", r.assessment_ref},
                                                   {"expires_at_ms", r.expires_at_ms}}}};
    if (r.data_class == DataClass::kModelWeights && impl_->options.auto_approve_model_weights) {
      t.approvals.push_back({std::string(kPolicyActor), std::string(kPolicyActor), t.created_ms});
      t.state = State::kApproved;
      events.push_back({std::string(kPolicyActor), "transfer.approve", t.id, r.source_region,
                        json::object{{"approver", kPolicyActor}, {"role", kPolicyActor},
                                     {"rule", "transfer.auto_approve_model_weights"}, {"state", "approved"}}});
    }
    if (Status c = impl_->commit(t, std::move(events)); !c.is_ok()) return c;
    return t.id;
  });
}

Status TransferService::approve(const http::Principal& who, std::string_view id) {
  std::lock_guard lock(impl_->mu);
  // Who the transfer would carry, read outside the transaction (it may scan many records).
  std::vector<std::string> individuals;
  std::string source;  // for the audit entry of a refusal
  if (auto t = impl_->load(id); t.is_ok()) {
    source = t->request.source_region;
    if (t->state == State::kRequested) {
      auto read = impl_->individuals_of(*t);
      if (!read.is_ok()) return impl_->refuse(user_actor(who), "approve", id, source, read.status());
      individuals = std::move(read).value();
    }
  }
  return impl_->audit.transact([&]() -> Status {
    auto t = impl_->approve(who, id, individuals);
    if (!t.is_ok()) return impl_->refuse(user_actor(who), "approve", id, source, t.status());
    return Status::ok();
  });
}

Status TransferService::reject(const http::Principal& who, std::string_view id, std::string_view reason) {
  std::lock_guard lock(impl_->mu);
  return impl_->audit.transact([&]() -> Status {
    const std::string actor = user_actor(who);
    auto t = impl_->load_current(id);
    Status s = t.status();
    if (s.is_ok()) s = impl_->check_approver(who, *t, "reject");
    if (s.is_ok() && t->state != State::kRequested && t->state != State::kApproved) {
      s = failed_precondition("transfer " + t->id + " is " + std::string(to_string(t->state)) + "; only requested or approved ones can be rejected");
    }
    if (s.is_ok()) s = check_nonempty(reason, "reason");
    if (!s.is_ok()) return impl_->refuse(actor, "reject", id, "", s);
    t->state = State::kRejected;
    t->rejected_by = who.subject;
    t->reject_reason = std::string(reason);
    return impl_->commit(*t, {{actor, "transfer.reject", t->id, t->request.source_region,
                               json::object{{"reason", t->reject_reason}}}});
  });
}

Result<fs::path> TransferService::export_bundle(std::string_view id, const fs::path& out_dir, std::string_view actor,
                                                const Progress& progress) {
  std::lock_guard lock(impl_->mu);
  auto bundle = impl_->export_bundle(id, out_dir, actor, progress);  // its own short transactions
  if (!bundle.is_ok()) {
    auto t = impl_->load(id);
    return impl_->refuse(actor, "export", id, t.is_ok() ? t->request.source_region : "", bundle.status());
  }
  return bundle;
}

Result<Manifest> TransferService::verify_bundle(const fs::path& bundle) const {
  auto content = impl_->read_verified(bundle);
  if (!content.is_ok()) return content.status();
  return content->manifest;
}

Result<ImportResult> TransferService::import_bundle(const fs::path& bundle, std::string_view dest_region,
                                                    std::string_view actor) {
  std::lock_guard lock(impl_->mu);
  auto result = impl_->import_bundle(bundle, dest_region, actor);
  if (!result.is_ok()) {
    auto peeked = peek_manifest(bundle);
    return impl_->refuse(actor, "import", peeked.is_ok() ? peeked->transfer_id : bundle.string(), dest_region,
                         result.status());
  }
  return result;
}

Result<json::object> TransferService::cross_border_report(std::string_view region, int year) {
  const config::CrossBorderRule* rule = impl_->policy->config().cross_border_rule(region);
  if (rule == nullptr) return not_found("region '" + std::string(region) + "' has no cross-border rule");
  if (!impl_->regions.contains(std::string(region))) return failed_precondition("region '" + std::string(region) + "' is not served by this node");
  std::lock_guard lock(impl_->mu);
  const std::string year_text = std::to_string(year);
  json::object report{{"region", region},
                      {"year", year},
                      {"reference", rule->reference},
                      {"thresholds", json::object{{"exempt_below", rule->exempt_below},
                                                  {"assessment_above", rule->assessment_above},
                                                  {"sensitive_assessment_above", rule->sensitive_assessment_above}}}};

  auto months = monthly_counts(*impl_->regions.at(std::string(region)).store, year);
  if (!months.is_ok()) return months.status();
  json::array month_rows, crossed;
  Basis previous = Basis::kNone;
  for (size_t m = 0; m < months->size(); ++m) {
    const std::string name = year_text + (m < 9 ? "-0" : "-") + std::to_string(m + 1);
    const Basis needed = required_basis(*rule, (*months)[m], false);
    month_rows.push_back(json::object{{"month", name},
                                      {"general", (*months)[m].general},
                                      {"sensitive", (*months)[m].sensitive},
                                      {"basis_needed", to_string(needed)}});
    if (needed != previous) crossed.push_back(json::object{{"month", name}, {"basis_needed", to_string(needed)}});
    previous = needed;
  }
  report["months"] = std::move(month_rows);
  report["brackets_crossed"] = std::move(crossed);

  json::array transfers;
  json::object by_basis;
  auto it = impl_->control.scan(kTransferPrefix);
  for (; it->valid(); it->next()) {
    auto t = transfer_from_json(it->value());
    if (!t.is_ok()) return t.status();
    if (t->request.source_region != region || t->request.data_class != DataClass::kDesensitised ||
        month_of(t->created_ms).substr(0, 4) != year_text) {
      continue;
    }
    const std::string basis = t->request.basis_type.empty() ? "unrecorded" : t->request.basis_type;
    by_basis[basis] = (by_basis.contains(basis) ? by_basis[basis].as_int64() : 0) + 1;
    transfers.push_back(json::object{{"id", t->id},
                                     {"state", to_string(t->state)},
                                     {"basis_type", basis},
                                     {"legal_basis", t->request.legal_basis},
                                     {"dest_region", t->request.dest_region},
                                     {"created", month_of(t->created_ms)}});
  }
  if (!it->status().is_ok()) return it->status();
  report["transfers"] = std::move(transfers);
  report["by_basis"] = std::move(by_basis);

  json::array refusals;
  for (uint64_t from = 1;;) {
    auto page = impl_->audit.read(from, 1000);
    if (!page.is_ok()) return page.status();
    for (const auto& e : *page) {
      if (e.action != "transfer.refuse" || e.region != region || month_of(e.time_ms).substr(0, 4) != year_text) continue;
      const json::value* reason = e.details.if_contains("reason");
      if (reason == nullptr || !reason->is_string() || std::string_view(reason->as_string()).find(rule->reference) == std::string_view::npos) {
        continue;
      }
      refusals.push_back(json::object{{"time", month_of(e.time_ms)},
                                      {"transfer", e.subject},
                                      {"actor", e.actor},
                                      {"step", e.details.contains("step") ? e.details.at("step") : json::value("")},
                                      {"reason", *reason}});
    }
    if (page->size() < 1000) break;
    from = page->back().seq + 1;
  }
  report["refusals"] = std::move(refusals);
  return report;
}

Result<Transfer> TransferService::get(std::string_view id) {
  std::lock_guard lock(impl_->mu);
  return impl_->load_current(id);
}

Result<std::vector<Transfer>> TransferService::list(const http::Principal& who) {
  std::lock_guard lock(impl_->mu);
  std::vector<std::string> ids;
  auto it = impl_->control.scan(kTransferPrefix);
  for (; it->valid(); it->next()) ids.emplace_back(it->key().substr(kTransferPrefix.size()));
  if (Status s = it->status(); !s.is_ok()) return s;
  std::vector<Transfer> out;
  for (const auto& id : ids) {
    auto t = impl_->load_current(id);
    if (!t.is_ok()) return t.status();
    if (who.may_act_in(t->request.source_region) || who.may_act_in(t->request.dest_region)) out.push_back(std::move(t).value());
  }
  std::stable_sort(out.begin(), out.end(), [](const Transfer& a, const Transfer& b) { return a.created_ms < b.created_ms; });
  return out;
}

Status TransferService::put_artifact(std::string_view region, std::string_view name, std::string_view bytes) {
  auto r = impl_->region(region);
  if (!r.is_ok()) return r.status();
  return transfer::put_artifact(*(*r)->store, name, bytes);
}

Result<std::string> TransferService::get_artifact(std::string_view region, std::string_view name) const {
  auto r = impl_->region(region);
  if (!r.is_ok()) return r.status();
  return transfer::get_artifact(*(*r)->store, name);
}

Result<std::string> TransferService::public_key(std::string_view region) const {
  auto key = impl_->signing_key(region);
  if (!key.is_ok()) return key.status();
  return (*key)->public_pem();
}

std::map<std::string, int> pending_per_region(const std::vector<Transfer>& transfers) {
  std::map<std::string, int> pending;
  for (const Transfer& t : transfers) {
    if (t.state != State::kRequested) continue;
    ++pending[t.request.source_region];
    if (t.request.dest_region != t.request.source_region) ++pending[t.request.dest_region];
  }
  return pending;
}

}  // namespace fleetgate::transfer
