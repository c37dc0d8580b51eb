#include "fleetgate/vehicle/registry.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>

#include "fleetgate/vehicle/csv_line.h"
#include "fleetgate/vehicle/vin.h"

namespace fleetgate::vehicle {
namespace {

namespace json = boost::json;

constexpr std::string_view kVehiclePrefix = "vehicle/";
// Tombstones of erased vehicles, under their region pseudonym.
constexpr std::string_view kErasedPrefix = "erased-vehicle/";

std::string vehicle_key(std::string_view vin) { return std::string(kVehiclePrefix) + std::string(vin); }

int utc_year(int64_t ms) {
  using namespace std::chrono;
  const sys_days day = floor<days>(sys_time<milliseconds>(milliseconds(ms)));
  return static_cast<int>(year_month_day(day).year());
}

std::string ascii_upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::toupper(c); });
  return out;
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// Free text that ends up in records and audit entries: bounded, UTF-8, no control characters.
Status check_text(std::string_view what, std::string_view text, size_t max_bytes) {
  if (text.size() > max_bytes) {
    return invalid_argument(std::string(what) + " is " + std::to_string(text.size()) + " bytes, at most " +
                            std::to_string(max_bytes) + " allowed");
  }
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return invalid_argument(std::string(what) + " contains a control character");
    }
  }
  boost::system::error_code ec;
  json::parse(json::serialize(json::string(text)), ec);  // the parser rejects invalid UTF-8
  if (ec) return invalid_argument(std::string(what) + " is not valid UTF-8");
  return Status::ok();
}

Status check_vin(std::string_view vin) {
  auto check = validate(vin);
  if (!check.is_ok()) return invalid_argument("invalid VIN: " + check.status().message());
  return Status::ok();
}

bool matches(const VehicleRecord& r, const ListFilter& f, const std::string& market, const std::string& maker) {
  if (!f.region.empty() && r.region != f.region) return false;
  if (!market.empty() && r.market != market) return false;
  return maker.empty() || ascii_lower(r.manufacturer).find(maker) != std::string::npos;
}

audit::Event registration_event(const VehicleRecord& r, std::string_view actor, json::object details) {
  details["market"] = r.market;
  details["label"] = r.label;
  details["manufacturer"] = r.manufacturer;
  return audit::Event{std::string(actor), "vehicle.register", r.vin, r.region, std::move(details)};
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// The input split into lines, without line terminators.
std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    lines.push_back(text.substr(0, end));
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
  }
  return lines;
}

// OK when `header` names the columns vin, market and (optionally) label, in that order.
Status check_header(std::string_view header) {
  constexpr std::string_view kBom = "\xEF\xBB\xBF";
  if (header.starts_with(kBom)) header.remove_prefix(kBom.size());
  auto fields = split_csv_line(trim(header));
  std::vector<std::string> names;
  if (fields.is_ok()) {
    for (const auto& f : *fields) names.push_back(ascii_lower(trim(f)));
  }
  const std::vector<std::string> full{"vin", "market", "label"};
  if (names == full || names == std::vector<std::string>(full.begin(), full.begin() + 2)) return Status::ok();
  return invalid_argument("line 1: the header must be 'vin,market,label'");
}

}  // namespace

Status not_registered(std::string_view vin) { return not_found("vehicle " + std::string(vin) + " is not registered"); }

FleetRegistry::FleetRegistry(audit::AuditLog& audit, std::shared_ptr<const residency::Policy> policy,
                             VinDirectory* directory)
    : audit_(audit),
      store_(audit.state()),
      policy_(std::move(policy)),
      directory_(directory),
      shown_(audit.shared() ? 0 : kShownEntries) {}

Status FleetRegistry::record_in_directory(const std::vector<std::pair<std::string, std::string>>& vin_regions,
                                          store::WriteBatch& change) {
  return directory_ == nullptr || vin_regions.empty() ? Status::ok() : directory_->record_with(vin_regions, store_, change);
}

Status check_reason(std::string_view reason) {
  if (reason.empty()) return invalid_argument("a reason is required");
  return check_text("reason", reason, kMaxLabelBytes);
}

Status check_region_served(const config::Config& config, std::string_view region) {
  if (config.serves(region)) return Status::ok();
  const config::Region* r = config.region(region);
  const std::string where = r == nullptr || r->endpoint.empty() ? "no endpoint is configured for it"
                                                                : "register it at " + r->endpoint;
  return failed_precondition("region '" + std::string(region) + "' is not served by this node; " + where);
}

Result<std::string> FleetRegistry::region_of_market(std::string_view market) const {
  if (market.size() != 2) return invalid_argument("a market is an ISO 3166 alpha-2 code such as DE");
  const config::Region* region = policy_->config().region_for_market(market);
  if (region != nullptr) {
    if (Status s = check_region_served(policy_->config(), region->id); !s.is_ok()) {
      return failed_precondition("market " + std::string(market) + ": " + s.message());
    }
    return region->id;
  }
  std::string known;
  for (const auto& [code, _] : policy_->config().markets) known += (known.empty() ? "" : ", ") + code;
  return invalid_argument("market '" + std::string(market) + "' is not configured (configured: " + known + ")");
}

Result<VehicleRecord> FleetRegistry::prepare(std::string_view vin, std::string_view market, std::string_view label,
                                             int64_t now_ms) const {
  if (Status s = check_vin(vin); !s.is_ok()) return s;
  if (Status s = check_text("label", label, kMaxLabelBytes); !s.is_ok()) return s;
  const std::string market_code = ascii_upper(market);
  auto region = region_of_market(market_code);
  if (!region.is_ok()) return region.status();
  auto decoded = decode(vin, utc_year(now_ms));
  if (!decoded.is_ok()) return invalid_argument("invalid VIN: " + decoded.status().message());
  VehicleRecord r;
  r.vin = std::string(vin);
  r.market = market_code;
  r.region = std::move(region).value();
  r.label = std::string(label);
  r.manufacturer = decoded->manufacturer;
  r.wmi = decoded->wmi;
  r.origin_country = decoded->country;
  r.plant_code = decoded->plant_code;
  r.plant = decoded->plant;
  r.model_year = decoded->model_year;
  r.check_digit_valid = decoded->check.check_digit_valid;
  r.registered_ms = now_ms;
  r.updated_ms = now_ms;
  return r;
}

Result<VehicleRecord> FleetRegistry::load(std::string_view vin) const {
  auto stored = store_.get(vehicle_key(vin));
  if (stored.status().code() == Code::kNotFound) return not_registered(vin);
  if (!stored.is_ok()) return stored.status();
  auto record = decode_record(*stored);
  if (!record.is_ok()) return data_loss("vehicle " + std::string(vin) + ": " + record.status().message());
  return record;
}

VehicleRecord FleetRegistry::with_providers(VehicleRecord r) const {
  r.providers.clear();
  for (const config::Provider* p : policy_->permitted_chain(residency::Car{r.region, r.market, r.model_year})) {
    r.providers.push_back(p->id);
  }
  return r;
}

Result<VehicleRecord> FleetRegistry::register_vehicle(std::string_view vin, std::string_view market,
                                                      std::string_view label, std::string_view actor) {
  if (actor.empty()) return invalid_argument("an actor is required");
  return audit_.transact([&]() -> Result<VehicleRecord> {
    auto record = prepare(vin, market, label, audit_.now_ms());
    if (!record.is_ok()) return record.status();
    auto existing = load(vin);
    if (existing.is_ok()) {
      return already_exists("vehicle " + std::string(vin) + " is already registered (market " + existing->market +
                            ", region " + existing->region + ")");
    }
    if (existing.status().code() != Code::kNotFound) return existing.status();
    store::WriteBatch change;
    if (Status s = record_in_directory({{record->vin, record->region}}, change); !s.is_ok()) return s;
    change.put(vehicle_key(vin), encode_record(*record));
    auto appended = commit({registration_event(*record, actor, {})}, change);
    if (!appended.is_ok()) return appended.status();
    return with_providers(std::move(record).value());
  });
}

Result<VehicleRecord> FleetRegistry::show(std::string_view vin) const {
  if (Status s = check_vin(vin); !s.is_ok()) return s;
  return shown_.get(vin, [&]() -> Result<VehicleRecord> {
    auto record = load(vin);
    if (!record.is_ok()) return record.status();
    return with_providers(std::move(record).value());
  });
}

Result<std::vector<audit::Entry>> FleetRegistry::commit(std::vector<audit::Event> events, const store::WriteBatch& change) {
  auto appended = audit_.append_with(std::move(events), change);
  shown_.invalidate();
  return appended;
}

Result<VehiclePage> FleetRegistry::list(const ListFilter& filter) const {
  if (filter.limit == 0 || filter.limit > kMaxListLimit) {
    return invalid_argument("limit must be between 1 and " + std::to_string(kMaxListLimit));
  }
  if (!filter.region.empty() && policy_->config().region(filter.region) == nullptr) {
    return invalid_argument("unknown region '" + filter.region + "'");
  }
  const std::string market = ascii_upper(filter.market);
  const std::string maker = ascii_lower(filter.maker);
  // Start strictly after the cursor: the smallest key greater than vehicle/<cursor>.
  const std::string start = filter.cursor.empty() ? std::string() : vehicle_key(filter.cursor) + '\0';
  VehiclePage page;
  auto it = store_.scan(kVehiclePrefix, start);
  for (; it->valid(); it->next()) {
    auto record = decode_record(it->value());
    if (!record.is_ok()) return data_loss(std::string(it->key()) + ": " + record.status().message());
    if (!matches(*record, filter, market, maker)) continue;
    page.vehicles.push_back(with_providers(std::move(record).value()));
    if (page.vehicles.size() == filter.limit) {
      page.next_cursor = page.vehicles.back().vin;
      break;
    }
  }
  if (!it->status().is_ok()) return it->status();
  return page;
}

Result<Rehome> FleetRegistry::rehome(std::string_view vin, std::string_view new_market, std::string_view actor,
                                     std::string_view reason) {
  if (actor.empty()) return invalid_argument("an actor is required");
  if (Status s = check_reason(reason); !s.is_ok()) return s;
  if (Status s = check_vin(vin); !s.is_ok()) return s;
  const std::string market = ascii_upper(new_market);
  auto region = region_of_market(market);
  if (!region.is_ok()) return region.status();

  return audit_.transact([&]() -> Result<Rehome> {
    auto before = load(vin);
    if (!before.is_ok()) return before.status();
    if (before->market == market) {
      return failed_precondition("vehicle " + std::string(vin) + " is already registered in market " + market);
    }
    VehicleRecord after = *before;
    after.market = market;
    after.region = std::move(region).value();
    after.updated_ms = audit_.now_ms();
    store::WriteBatch change;
    if (Status s = record_in_directory({{after.vin, after.region}}, change); !s.is_ok()) return s;
    change.put(vehicle_key(vin), encode_record(after));
    json::object details{{"from_market", before->market}, {"from_region", before->region}, {"to_market", after.market},
                         {"to_region", after.region},     {"reason", reason}};
    auto appended = commit({audit::Event{std::string(actor), "vehicle.rehome", after.vin, after.region, details}}, change);
    if (!appended.is_ok()) return appended.status();
    return Rehome{with_providers(std::move(before).value()), with_providers(std::move(after))};
  });
}

Result<audit::Entry> FleetRegistry::erase(std::string_view vin, std::string_view pseudonym, std::string_view actor,
                                          std::string_view reason, json::object details) {
  if (actor.empty()) return invalid_argument("an actor is required");
  if (Status s = check_reason(reason); !s.is_ok()) return s;
  if (Status s = check_vin(vin); !s.is_ok()) return s;
  return audit_.transact([&]() -> Result<audit::Entry> {
    auto before = load(vin);
    if (!before.is_ok()) return before.status();
    const int64_t now = audit_.now_ms();
    json::object tombstone{{"erased_ms", now}, {"region", before->region}, {"market", before->market},
                           {"actor", actor},   {"reason", reason}};
    store::WriteBatch change;
    change.remove(vehicle_key(vin));
    change.put(std::string(kErasedPrefix) + std::string(pseudonym), json::serialize(tombstone));
    details["reason"] = reason;
    details["market"] = before->market;
    auto appended = commit({audit::Event{std::string(actor), "vehicle.erase", std::string(pseudonym), before->region,
                                         std::move(details)}},
                           change);
    if (!appended.is_ok()) return appended.status();
    return std::move(appended->front());
  });
}

Result<ImportReport> FleetRegistry::import_csv(std::string_view csv, const ImportOptions& options) {
  if (options.actor.empty()) return invalid_argument("an actor is required");
  const std::vector<std::string_view> lines = lines_of(csv);
  if (lines.empty()) return invalid_argument("the input is empty; expected the header 'vin,market,label'");
  if (Status s = check_header(lines[0]); !s.is_ok()) return s;

  return audit_.transact([&]() -> Result<ImportReport> {
    const int64_t now = audit_.now_ms();
    ImportReport report;
    std::map<std::string, size_t, std::less<>> first_line_of;  // VIN -> line it first appeared on
    store::WriteBatch change;
    std::vector<audit::Event> events;
    std::vector<std::pair<std::string, std::string>> placed;  // (VIN, region) of the good rows
    for (size_t i = 1; i < lines.size(); ++i) {
      const size_t line = i + 1;
      if (trim(lines[i]).empty()) continue;
      if (++report.rows > kMaxImportRows) {
        return invalid_argument("more than " + std::to_string(kMaxImportRows) + " rows; split the file");
      }
      auto bad = [&report, line](std::string reason) { report.errors.push_back({line, std::move(reason)}); };
      auto fields = split_csv_line(trim(lines[i]));
      if (!fields.is_ok()) {
        bad(fields.status().message());
        continue;
      }
      if (fields->size() < 2 || fields->size() > 3) {
        bad("expected the fields vin,market,label, found " + std::to_string(fields->size()) + " field(s)");
        continue;
      }
      const std::string_view vin = trim((*fields)[0]);
      if (auto [it, first] = first_line_of.try_emplace(std::string(vin), line); !first && !vin.empty()) {
        bad("duplicate of line " + std::to_string(it->second) + " (VIN " + std::string(vin) + ")");
        continue;
      }
      auto record = prepare(vin, trim((*fields)[1]), fields->size() == 3 ? trim((*fields)[2]) : "", now);
      if (!record.is_ok()) {
        bad(record.status().message());
        continue;
      }
      auto existing = load(vin);
      if (existing.is_ok()) {
        bad("vehicle " + std::string(vin) + " is already registered (market " + existing->market + ")");
        continue;
      }
      if (existing.status().code() != Code::kNotFound) return existing.status();
      change.put(vehicle_key(vin), encode_record(*record));
      placed.emplace_back(record->vin, record->region);
      events.push_back(
          registration_event(*record, options.actor, {{"source", options.source + ":" + std::to_string(line)}}));
    }
    if (events.empty() || (options.all_or_nothing && !report.errors.empty())) return report;
    if (Status s = record_in_directory(placed, change); !s.is_ok()) return s;
    auto appended = commit(std::move(events), change);
    if (!appended.is_ok()) return appended.status();
    report.imported = appended->size();
    return report;
  });
}

}  // namespace fleetgate::vehicle
