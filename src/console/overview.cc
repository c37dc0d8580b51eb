#include "fleetgate/console/overview.h"

#include <boost/json.hpp>
#include <chrono>

namespace fleetgate::console {
namespace {

namespace json = boost::json;

// The value of a family's children whose first label is `region`, summed.
template <typename Metric>
double sum_for_region(const http::Family<Metric>& family, const std::string& region) {
  double total = 0;
  family.for_each([&](const std::vector<std::string>& labels, const Metric& m) {
    if (labels.front() == region) total += m.value();
  });
  return total;
}

double rate(double now, double before, double seconds) { return seconds > 0 && now >= before ? (now - before) / seconds : 0; }

json::array strings(const std::vector<std::string>& v) { return json::array(v.begin(), v.end()); }

}  // namespace

Result<std::unique_ptr<Overview>> Overview::create(const config::Config& config, http::MetricsRegistry& metrics,
                                                   BreakerStates breakers, transfer::TransferService& transfers) {
  std::unique_ptr<Overview> o(new Overview(config, std::move(breakers), transfers));
  // The same names and labels as their owners register (telemetry ingest, the gateway), which
  // hands back the owners' families.
  auto connections = metrics.gauge("fleetgate_telemetry_connections", "Open telemetry WebSockets, by home region",
                                   {"region"});
  if (!connections.is_ok()) return connections.status();
  auto records = metrics.counter("fleetgate_telemetry_records_total", "Telemetry records durably stored, by home region",
                                 {"region"});
  if (!records.is_ok()) return records.status();
  auto requests = metrics.counter("fleetgate_assistant_requests_total",
                                  "Assistant requests by home region, provider and outcome", {"region", "provider", "outcome"});
  if (!requests.is_ok()) return requests.status();
  auto refusals = metrics.counter("fleetgate_assistant_tool_calls_refused_total",
                                  "Tool calls refused by schema or safety interlocks", {"region", "reason"});
  if (!refusals.is_ok()) return refusals.status();
  auto failovers = metrics.counter("fleetgate_assistant_failovers_total",
                                   "Requests passed on from a failing provider to the next of the car's chain, by region and failing provider",
                                   {"region", "provider"});
  if (!failovers.is_ok()) return failovers.status();
  o->connections_ = *connections;
  o->records_ = *records;
  o->requests_ = *requests;
  o->refusals_ = *refusals;
  o->failovers_ = *failovers;
  return o;
}

Result<OverviewSnapshot> Overview::take(const http::Principal& who) const {
  auto transfers = transfers_.list(who);
  if (!transfers.is_ok()) return transfers.status();
  const std::map<std::string, std::string> breakers = breakers_();
  const std::map<std::string, int> pending = transfer::pending_per_region(*transfers);
  OverviewSnapshot snap;
  snap.time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch()).count();
  for (const config::Region& region : config_.regions) {
    if (!config_.serves(region.id) || !who.may_act_in(region.id)) continue;
    RegionFigures f;
    f.id = region.id;
    f.name = region.name;
    for (const auto& entry : region.chain) f.providers.push_back(entry.provider_id);
    f.cars_connected = sum_for_region(*connections_, region.id);
    f.telemetry_records = sum_for_region(*records_, region.id);
    f.refused_tool_calls = sum_for_region(*refusals_, region.id);
    f.failovers = sum_for_region(*failovers_, region.id);
    requests_->for_each([&](const std::vector<std::string>& labels, const http::Counter& c) {
      if (labels[0] != region.id) return;
      f.assistant[{labels[1], labels[2]}] += c.value();
    });
    for (const std::string& p : f.providers) {
      auto it = breakers.find(p);
      if (it != breakers.end()) f.breakers[p] = it->second;
    }
    if (auto it = pending.find(region.id); it != pending.end()) f.pending_transfers = it->second;
    snap.regions.push_back(std::move(f));
  }
  return snap;
}

json::object Overview::to_json(const OverviewSnapshot& now, const OverviewSnapshot* before) {
  const double seconds = before == nullptr ? 0 : static_cast<double>(now.time_ms - before->time_ms) / 1000.0;
  json::array regions;
  for (const RegionFigures& f : now.regions) {
    const RegionFigures* prev = nullptr;
    if (before != nullptr) {
      for (const RegionFigures& p : before->regions) {
        if (p.id == f.id) prev = &p;
      }
    }
    json::array assistant;
    double requests = 0, requests_before = 0;
    for (const auto& [key, total] : f.assistant) {
      double was = 0;
      if (prev != nullptr) {
        auto it = prev->assistant.find(key);
        if (it != prev->assistant.end()) was = it->second;
      }
      requests += total;
      requests_before += was;
      assistant.push_back(json::object{{"provider", key.first}, {"outcome", key.second}, {"total", total},
                                       {"per_s", prev == nullptr ? 0.0 : rate(total, was, seconds)}});
    }
    json::object breakers;
    for (const auto& [provider, state] : f.breakers) breakers[provider] = state;
    regions.push_back(json::object{
        {"id", f.id},
        {"name", f.name},
        {"providers", strings(f.providers)},
        {"cars_connected", f.cars_connected},
        {"telemetry_records_total", f.telemetry_records},
        {"telemetry_records_per_s", prev == nullptr ? 0.0 : rate(f.telemetry_records, prev->telemetry_records, seconds)},
        {"assistant_requests_total", requests},
        {"assistant_requests_per_s", prev == nullptr ? 0.0 : rate(requests, requests_before, seconds)},
        {"assistant", std::move(assistant)},
        {"failovers_total", f.failovers},
        {"refused_tool_calls_total", f.refused_tool_calls},
        {"breakers", std::move(breakers)},
        {"pending_transfers", f.pending_transfers}});
  }
  return json::object{{"object", "console.overview"}, {"time_ms", now.time_ms}, {"regions", std::move(regions)}};
}

}  // namespace fleetgate::console
