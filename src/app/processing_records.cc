#include "fleetgate/app/processing_records.h"

#include <algorithm>
#include <boost/json.hpp>

#include "fleetgate/app/time_format.h"
#include "fleetgate/residency/policy.h"
#include "fleetgate/store/data_dir.h"

namespace fleetgate::app {
namespace {

namespace json = boost::json;
using Log = config::RegionTelemetrySettings::Log;

// What fleetgate keeps of each data class and where, as built (the README's data-protection
// sections say the same at length).
struct ClassFacts {
  std::string_view data_class;
  std::string_view holds;
};

constexpr ClassFacts kFacts[] = {
    {"vehicle_registry",
     "per vehicle: VIN, maker, plant, market, home region, model year, assigned provider; every change in the audit chain"},
    {"telemetry",
     "per record: the vehicle's pseudonym (p_ + HMAC-SHA256 of the VIN under the region's key, never the VIN), time and the "
     "catalogue's signals; location and heading sealed with AES-256-GCM under the region's key"},
    {"vehicle_state", "per vehicle: its latest reported and streamed state (speed, gear, charging, occupancy) for the safety interlocks"},
    {"assistant_prompts", "the conversation of each chat request, as the vehicle sends it: not stored, passed to one provider"},
    {"assistant_usage", "per chat request: the vehicle's pseudonym, time, provider, model, token counts, tool calls, outcome"},
    {"audit", "per change: actor, action, subject (a VIN, user, transfer or dataset), region, details, hash-chained"},
    {"datasets", "curated telemetry windows around driving events, by pseudonym, for in-region training"},
    {"models", "model weights trained in the region, and those imported through approved transfers"},
    {"transfer_bundles", "desensitised exports: approved fields, re-keyed pseudonyms, coarsened location, Ed25519-signed"},
};

std::string control_plane(const config::Config& c) {
  return c.control.backend == config::ControlSettings::Backend::kPostgres
             ? "the control plane's PostgreSQL (" + c.control.dsn_env + ")"
             : "the control plane's embedded store under " + store::control_store_dir(c).string();
}

std::string region_store(const config::Region& r) {
  return r.telemetry.log == Log::kJetStream
             ? "region " + r.id + "'s PostgreSQL (" + r.telemetry.dsn_env + ")"
             : "region " + r.id + "'s embedded store under " + store::region_store_dir(r).string();
}

std::string stored_in(const config::Config& c, const config::Region& r, std::string_view data_class) {
  if (data_class == "vehicle_registry" || data_class == "audit") return control_plane(c);
  if (data_class == "assistant_prompts") return "not stored";
  if (data_class == "telemetry" && r.telemetry.log == Log::kJetStream) {
    return "region " + r.id + "'s JetStream cluster (" + r.telemetry.nats_env + ", sealed blocks) and " + region_store(r);
  }
  return region_store(r);
}

// "N days (reference)" for each market of `r` whose vehicles a [[compliance.retention]] rule of
// `data_class` covers, "" when none does.
std::string market_periods(const config::Config& c, const config::Region& r, std::string_view data_class) {
  std::string out;
  for (const auto& [market, region] : c.markets) {
    if (region != r.id) continue;
    if (auto p = c.retention_for(data_class, r.id, market)) {
      out += (out.empty() ? "" : "; ") + market + ": " + std::to_string(p->first) + " days (" + p->second->reference + ")";
    }
  }
  return out;
}

std::string retention(const config::Config& c, const config::Region& r, std::string_view data_class) {
  if (data_class == "telemetry" || data_class == "assistant_usage") {
    std::string text = market_periods(c, r, data_class);
    if (data_class == "telemetry" && r.retention_days) {
      text += (text.empty() ? "" : "; ") + std::string("every vehicle: ") + std::to_string(*r.retention_days) +
              " days (regions.retention_days)";
    }
    if (text.empty()) return "no period configured ([[compliance.retention]]): kept until deleted";
    text += ", then deleted";
    if (data_class == "assistant_usage") text += "; the hourly totals settlement reads are kept";
    return text;
  }
  if (data_class == "datasets" || data_class == "models") {
    if (auto p = c.retention_for(data_class, r.id, "")) {
      return std::to_string(p->first) + " days (" + p->second->reference + "), then deleted";
    }
    return "no period configured ([[compliance.retention]]): kept until deleted";
  }
  if (data_class == "assistant_prompts") return "not stored";
  if (data_class == "vehicle_state") return "replaced by each newer state";
  if (data_class == "vehicle_registry") return "while the vehicle is registered";
  if (data_class == "audit") return "kept: the chain is append-only";
  return "no period configured: kept until deleted";
}

json::object provider_json(const config::Provider& p) {
  return json::object{{"provider", p.id},
                      {"location", p.location},
                      {"developer_jurisdiction", p.developer_jurisdiction},
                      {"models", json::array(p.models.begin(), p.models.end())}};
}

json::object transfer_json(const transfer::Transfer& t) {
  return json::object{{"id", t.id},
                      {"source_region", t.request.source_region},
                      {"dest_region", t.request.dest_region},
                      {"data_class", residency::to_string(t.request.data_class)},
                      {"fields", json::array(t.request.fields.begin(), t.request.fields.end())},
                      {"purpose", t.request.purpose},
                      {"legal_basis", t.request.legal_basis},
                      {"basis_type", t.request.basis_type},
                      {"state", transfer::to_string(t.state)},
                      {"requested", format_utc_ms(t.created_ms)}};
}

}  // namespace

json::object processing_records(const config::Config& config, const config::Region& region,
                                const std::vector<transfer::Transfer>& transfers, const ChainState& chain,
                                int64_t now_ms) {
  json::array prompt_recipients;
  for (const config::ChainEntry& e : region.chain) {
    if (const config::Provider* p = config.provider(e.provider_id)) prompt_recipients.push_back(provider_json(*p));
  }
  json::array transfers_out, transfers_in, destinations;
  for (const transfer::Transfer& t : transfers) {
    if (t.request.source_region == region.id) {
      transfers_out.push_back(transfer_json(t));
      const json::value dest(t.request.dest_region);
      if (std::find(destinations.begin(), destinations.end(), dest) == destinations.end()) destinations.push_back(dest);
    }
    if (t.request.dest_region == region.id) transfers_in.push_back(transfer_json(t));
  }

  json::array activities;
  for (const ClassFacts& f : kFacts) {
    const config::ProcessingPurpose* declared = config.processing_purpose(f.data_class, region.id);
    json::object a{{"data_class", f.data_class},
                   {"holds", f.holds},
                   {"stored_in", stored_in(config, region, f.data_class)},
                   {"retention", retention(config, region, f.data_class)},
                   {"purpose", declared != nullptr ? declared->purpose : "not declared in [[compliance.processing]]"},
                   {"legal_basis", declared != nullptr ? declared->legal_basis : "not declared in [[compliance.processing]]"}};
    if (f.data_class == "assistant_prompts") a["recipients"] = prompt_recipients;
    if (f.data_class == "transfer_bundles") a["recipients"] = destinations;
    activities.push_back(std::move(a));
  }
  json::object record{{"region", region.id},
                      {"name", region.name},
                      {"generated", format_utc_ms(now_ms)},
                      {"config", config.source.string()},
                      {"audit", json::object{{"entries", chain.entries}, {"head", chain.head_hash}}},
                      {"activities", std::move(activities)},
                      {"transfers_out", std::move(transfers_out)},
                      {"transfers_in", std::move(transfers_in)}};
  if (const config::CrossBorderRule* rule = config.cross_border_rule(region.id)) record["cross_border_rule"] = rule->reference;
  return record;
}

}  // namespace fleetgate::app
