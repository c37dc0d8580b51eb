#include "fleetgate/transfer/cross_border.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdio>

namespace fleetgate::transfer {
namespace {

constexpr std::array<std::pair<Basis, std::string_view>, 4> kBases = {{{Basis::kNone, "none"},
                                                                         {Basis::kStandardContract, "standard_contract"},
                                                                         {Basis::kCertification, "certification"},
                                                                         {Basis::kSecurityAssessment, "security_assessment"}}};

// Contract and certification are alternatives of equal standing.
int strength(Basis b) {
  switch (b) {
    case Basis::kNone: return 0;
    case Basis::kStandardContract:
    case Basis::kCertification: return 1;
    case Basis::kSecurityAssessment: return 2;
  }
  return 0;
}

std::string prefix(int year, std::string_view kind) { return "xborder/" + std::to_string(year) + "/" + std::string(kind) + "/"; }

bool listed(const std::vector<std::string>& list, const std::string& field) {
  return std::find(list.begin(), list.end(), field) != list.end();
}

// The kinds `kinds` names, as key segments.
std::vector<std::string_view> kind_names(FieldKinds kinds) {
  std::vector<std::string_view> out;
  if (kinds.general) out.push_back("general");
  if (kinds.sensitive) out.push_back("sensitive");
  return out;
}

Result<uint64_t> count_prefix(const store::KvReader& region, const std::string& p) {
  uint64_t n = 0;
  auto it = region.scan(p);
  for (; it->valid(); it->next()) ++n;
  if (!it->status().is_ok()) return it->status();
  return n;
}

// Those of `individuals` not yet recorded under `p` (a year's and kind's prefix), read in batches.
Result<std::vector<std::string>> unrecorded(const store::KvReader& region, const std::string& p,
                                            const std::vector<std::string>& individuals) {
  std::vector<std::string> keys;
  keys.reserve(individuals.size());
  for (const auto& who : individuals) keys.push_back(p + who);
  auto stored = region.get_many(keys);
  if (!stored.is_ok()) return stored.status();
  std::vector<std::string> fresh;
  for (size_t i = 0; i < individuals.size(); ++i) {
    if (!(*stored)[i].has_value()) fresh.push_back(individuals[i]);
  }
  return fresh;
}

}  // namespace

std::string month_of(int64_t time_ms) {
  const auto day = std::chrono::floor<std::chrono::days>(std::chrono::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(time_ms)));
  const std::chrono::year_month_day ymd(day);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()));
  return buf;
}

std::string_view to_string(Basis b) {
  for (const auto& [basis, name] : kBases) {
    if (basis == b) return name;
  }
  return "none";
}

Result<Basis> parse_basis(std::string_view text) {
  for (const auto& [basis, name] : kBases) {
    if (name == text) return basis;
  }
  return invalid_argument("basis_type '" + std::string(text) +
                          "' is not none, standard_contract, certification or security_assessment");
}

FieldKinds classify(const config::CrossBorderRule& rule, const std::vector<std::string>& fields) {
  FieldKinds k;
  for (const auto& f : fields) {
    const bool sensitive = listed(rule.sensitive_fields, f);
    k.sensitive = k.sensitive || sensitive;
    k.general = k.general || !sensitive;
    k.important = k.important || listed(rule.important_fields, f);
  }
  return k;
}

Basis required_basis(const config::CrossBorderRule& rule, const YearCounts& counts, bool important) {
  if (important || counts.general > rule.assessment_above || counts.sensitive > rule.sensitive_assessment_above) {
    return Basis::kSecurityAssessment;
  }
  if (counts.general >= rule.exempt_below || counts.sensitive > 0) return Basis::kStandardContract;
  return Basis::kNone;
}

Status check_basis(const config::CrossBorderRule& rule, Basis recorded, const YearCounts& counts, bool important) {
  const Basis needed = required_basis(rule, counts, important);
  if (strength(recorded) >= strength(needed)) return Status::ok();
  const std::string what = important ? "important data" : std::to_string(counts.general) + " non-sensitive and " +
                                                              std::to_string(counts.sensitive) +
                                                              " sensitive individuals this year with this transfer";
  const std::string name = needed == Basis::kStandardContract ? "standard_contract or certification" : std::string(to_string(needed));
  return failed_precondition(rule.reference + ": " + what + " need a " + name + " basis, and the request records " +
                             std::string(to_string(recorded)));
}

Result<YearCounts> projected_counts(const store::KvReader& region, int year, const std::vector<std::string>& individuals,
                                    FieldKinds kinds) {
  YearCounts out;
  for (std::string_view kind : {std::string_view("general"), std::string_view("sensitive")}) {
    const std::string p = prefix(year, kind);
    auto stored = count_prefix(region, p);
    if (!stored.is_ok()) return stored.status();
    uint64_t n = *stored;
    if (kind == "general" ? kinds.general : kinds.sensitive) {
      auto fresh = unrecorded(region, p, individuals);
      if (!fresh.is_ok()) return fresh.status();
      n += fresh->size();
    }
    (kind == "general" ? out.general : out.sensitive) = n;
  }
  return out;
}

Status record_exported(store::KvStore& region, std::string_view month, std::string_view transfer_id,
                       const std::vector<std::string>& individuals, FieldKinds kinds) {
  const int year = std::stoi(std::string(month.substr(0, 4)));
  store::WriteBatch batch;
  for (std::string_view kind : kind_names(kinds)) {
    const std::string p = prefix(year, kind);
    auto fresh = unrecorded(region, p, individuals);
    if (!fresh.is_ok()) return fresh.status();
    for (const auto& who : *fresh) batch.put(p + who, std::string(month) + " " + std::string(transfer_id));
  }
  if (batch.empty()) return Status::ok();
  return region.write(batch);
}

namespace {
constexpr std::string_view kCarriedPrefix = "carried/";
std::string carried_prefix(std::string_view pseudonym) { return std::string(kCarriedPrefix) + std::string(pseudonym) + "/"; }
}  // namespace

Status record_carried(store::KvStore& region, std::string_view transfer_id, int64_t time_ms,
                      const std::vector<std::string>& individuals) {
  store::WriteBatch batch;
  for (const auto& who : individuals) batch.put(carried_prefix(who) + std::string(transfer_id), std::to_string(time_ms));
  if (batch.empty()) return Status::ok();
  return region.write(batch);
}

Result<std::vector<Carried>> transfers_carrying(const store::KvReader& region, std::string_view pseudonym) {
  std::vector<Carried> out;
  const std::string p = carried_prefix(pseudonym);
  auto it = region.scan(p);
  for (; it->valid(); it->next()) {
    const std::string_view v = it->value();
    int64_t ms = 0;
    auto [end, err] = std::from_chars(v.data(), v.data() + v.size(), ms);
    if (err != std::errc() || end != v.data() + v.size()) return data_loss("damaged transfer link " + std::string(it->key()));
    out.push_back({std::string(it->key().substr(p.size())), ms});
  }
  if (!it->status().is_ok()) return it->status();
  return out;
}

Result<std::vector<YearCounts>> monthly_counts(const store::KvReader& region, int year) {
  std::vector<YearCounts> months(12);
  for (std::string_view kind : {std::string_view("general"), std::string_view("sensitive")}) {
    auto it = region.scan(prefix(year, kind));
    for (; it->valid(); it->next()) {
      const std::string_view v = it->value();
      const int month = v.size() >= 7 ? std::atoi(std::string(v.substr(5, 2)).c_str()) : 0;
      if (month < 1 || month > 12) return data_loss("damaged cross-border record " + std::string(it->key()));
      for (int m = month - 1; m < 12; ++m) ++(kind == "general" ? months[static_cast<size_t>(m)].general : months[static_cast<size_t>(m)].sensitive);
    }
    if (!it->status().is_ok()) return it->status();
  }
  return months;
}

}  // namespace fleetgate::transfer
