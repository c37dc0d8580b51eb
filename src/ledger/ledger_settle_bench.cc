// End-to-end settlement benchmark (run by bench/scenarios/ledger_settle.sh):
//   ledger_settle_bench generate DIR LEDGER_TOML USAGE_EVENTS REVENUE_EVENTS
//   ledger_settle_bench settle DIR LEDGER_TOML OUT.json
// `generate` fills DIR with a control store and cn/us/eu region stores holding November 2026
// usage and revenue; `settle` settles November in a fresh process, so its peak RSS is its own,
// and writes the store open time, the settle wall and CPU time (open excluded), peak RSS and the
// statements' digest as JSON. The distributed mode: with $FLEETGATE_BENCH_CONTROL_DSN set, the
// control plane (revenue, ledger state, audit) is that PostgreSQL database, and with
// $FLEETGATE_BENCH_USAGE_DSN_<REGION> set (CN, US, EU), that region's usage log is the region
// database's (query_store::PgUsageLog); both migrated by `generate`.
#include <sys/resource.h>

#include <boost/json.hpp>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>

#include "fleetgate/core/digest.h"
#include "fleetgate/ledger/kv_usage_log.h"
#include "fleetgate/ledger/ledger.h"
#include "fleetgate/query_store/pg_usage_log.h"
#include "fleetgate/query_store/region_schema.h"
#include "fleetgate/store/embedded_store.h"
#include "fleetgate/store/pg_store.h"

namespace fleetgate::ledger {
namespace {

struct Route {
  const char* region;
  const char* market;
  const char* provider;
  const char* model;
  const char* currency;
};
constexpr Route kRoutes[] = {
    {"cn", "CN", "deepseek", "deepseek-chat", "CNY"},   {"us", "US", "xai-us", "grok-4", "USD"},
    {"us", "CA", "onboard", "fleetgate-onboard", "USD"},    {"eu", "DE", "xai-eu", "grok-4", "EUR"},
    {"eu", "FR", "onboard", "fleetgate-onboard", "EUR"},
};
const char* kRegions[] = {"cn", "us", "eu"};

template <typename T>
T ok_or_die(Result<T> r, const char* what) {
  if (!r.is_ok()) {
    std::fprintf(stderr, "%s: %s\n", what, r.status().to_string().c_str());
    std::exit(1);
  }
  return std::move(r).value();
}
void ok_or_die(const Status& s, const char* what) {
  if (!s.is_ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.to_string().c_str());
    std::exit(1);
  }
}

struct Stores {
  std::unique_ptr<store::KvStore> control;
  std::unique_ptr<audit::AuditLog> audit;
  std::vector<std::unique_ptr<store::KvStore>> regions;
  std::vector<std::unique_ptr<UsageLog>> logs;
  std::unique_ptr<Ledger> ledger;
};

// $name, or "" when unset.
std::string env(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  return v == nullptr ? "" : v;
}
std::string usage_dsn(const char* region) {
  std::string name = "FLEETGATE_BENCH_USAGE_DSN_";
  for (const char* c = region; *c != '\0'; ++c) name += static_cast<char>(std::toupper(static_cast<unsigned char>(*c)));
  return env(name);
}

// `migrate`: apply the PostgreSQL schemas first (generate does; settle opens what it made).
std::unique_ptr<Stores> open_all(const std::string& dir, const std::string& terms, bool migrate) {
  auto s = std::make_unique<Stores>();
  if (const std::string dsn = env("FLEETGATE_BENCH_CONTROL_DSN"); !dsn.empty()) {
    if (migrate) ok_or_die(store::migrate_pg(dsn), "migrate control");
    s->control = ok_or_die(store::open_pg(dsn), "open control");
  } else {
    s->control = ok_or_die(store::open_embedded(dir + "/control"), "open control");
  }
  s->audit = ok_or_die(audit::AuditLog::open(*s->control), "open audit");
  std::vector<const UsageLog*> logs;
  for (const char* region : kRegions) {
    if (const std::string dsn = usage_dsn(region); !dsn.empty()) {
      if (migrate) ok_or_die(query_store::migrate_region_pg(dsn), "migrate region");
      s->logs.push_back(ok_or_die(query_store::PgUsageLog::open(dsn, region), "open usage log"));
    } else {
      s->regions.push_back(ok_or_die(store::open_embedded(dir + "/" + region), "open region"));
      s->logs.push_back(ok_or_die(KvUsageLog::open(*s->regions.back(), region, {.sync = false}), "open usage log"));
    }
    logs.push_back(s->logs.back().get());
  }
  s->ledger = std::make_unique<Ledger>(ok_or_die(load_ledger_config(terms), "ledger config"), *s->audit, logs);
  return s;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// CPU seconds (user + system) this process used so far: beside wall times, a figure that a busy
// machine inflates less.
double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

int generate(const std::string& dir, const std::string& terms, int64_t usage_events, int64_t revenue_events) {
  auto s = open_all(dir, terms, true);
  const Period nov = *Period::parse("2026-11");
  const int64_t span = nov.end_ms() - nov.start_ms();
  std::mt19937_64 rng(42);
  const auto t0 = std::chrono::steady_clock::now();
  const double cpu0 = cpu_seconds();
  std::vector<std::vector<UsageRecord>> batches(3);
  const size_t kBatch = 10'000;
  for (int64_t i = 0; i < usage_events; ++i) {
    const Route& route = kRoutes[rng() % std::size(kRoutes)];
    UsageRecord r;
    r.time_ms = nov.start_ms() + static_cast<int64_t>(rng() % static_cast<uint64_t>(span));
    r.request_id = "req-" + std::to_string(i);
    r.vehicle_pseudonym = "p_" + std::to_string(rng() % 100'000);
    r.region = route.region;
    r.market = route.market;
    r.feature = rng() % 10 == 0 ? "fsd" : "assistant";
    r.provider = route.provider;
    r.model = route.model;
    r.prompt_tokens = static_cast<int64_t>(200 + rng() % 4000);
    r.cached_tokens = static_cast<int64_t>(rng() % static_cast<uint64_t>(r.prompt_tokens));
    r.completion_tokens = static_cast<int64_t>(20 + rng() % 800);
    r.outcome = rng() % 50 == 0 ? "error" : "ok";
    r.latency_us = static_cast<int64_t>(rng() % 3'000'000);
    const size_t region = static_cast<size_t>(std::find_if(std::begin(kRegions), std::end(kRegions), [&](const char* x) {
                                                return std::string_view(x) == route.region;
                                              }) - std::begin(kRegions));
    batches[region].push_back(std::move(r));
    if (batches[region].size() == kBatch) {
      ok_or_die(s->logs[region]->append_all(batches[region]), "append usage");
      batches[region].clear();
    }
  }
  for (size_t region = 0; region < 3; ++region) ok_or_die(s->logs[region]->append_all(batches[region]), "append usage");
  const double usage_s = seconds_since(t0);
  const double usage_cpu_s = cpu_seconds() - cpu0;

  const auto t1 = std::chrono::steady_clock::now();
  std::vector<SourcedEvent> chunk;
  for (int64_t i = 0; i < revenue_events; ++i) {
    const Route& route = kRoutes[rng() % std::size(kRoutes)];
    RevenueEvent e;
    e.id = "rev-" + std::to_string(i);
    e.time_ms = nov.start_ms() + static_cast<int64_t>(rng() % static_cast<uint64_t>(span));
    const int kind = static_cast<int>(rng() % 20);
    e.type = kind == 0 ? RevenueType::kPurchase : kind == 1 ? RevenueType::kRefund : RevenueType::kSubscription;
    e.feature = rng() % 2 ? "fsd" : "assistant";
    e.market = route.market;
    e.currency = route.currency;
    e.amount_minor = e.type == RevenueType::kPurchase ? 800'000 : e.type == RevenueType::kRefund ? -9'900 : 9'900;
    chunk.push_back({std::move(e), ""});
    if (chunk.size() == 100'000 || i + 1 == revenue_events) {
      ok_or_die(s->ledger->import_revenue(chunk, "bench"), "import revenue");
      chunk.clear();
    }
  }
  std::printf("{\"generate_usage_s\":%.2f,\"generate_usage_cpu_s\":%.2f,\"import_revenue_s\":%.2f}\n", usage_s,
              usage_cpu_s, seconds_since(t1));
  return 0;
}

int settle(const std::string& dir, const std::string& terms, const std::string& out_path) {
  const auto t_open = std::chrono::steady_clock::now();
  auto s = open_all(dir, terms, false);
  const double open_s = seconds_since(t_open);
  const Period nov = *Period::parse("2026-11");
  const auto t0 = std::chrono::steady_clock::now();
  const double cpu0 = cpu_seconds();
  auto settlement = ok_or_die(s->ledger->settle(nov), "settle");
  const double wall = seconds_since(t0);
  const double cpu = cpu_seconds() - cpu0;
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::string all;
  for (const auto& st : settlement.statements) all += st.json;
  // Usage records seen, from the owner's statement evidence.
  int64_t records = 0;
  for (const auto& st : settlement.statements) {
    if (st.partner != s->ledger->config().owner) continue;
    const boost::json::value v = boost::json::parse(st.json);
    for (const auto& row : v.at("usage").as_array()) records += row.at("records").as_int64();
  }
  boost::json::object out;
  out["benchmark"] = "ledger_settle";
  out["period"] = nov.to_string();
  out["control"] = env("FLEETGATE_BENCH_CONTROL_DSN").empty() ? "embedded" : "postgres";
  out["usage"] = usage_dsn("cn").empty() ? "embedded" : "postgres";
  out["usage_records_settled"] = records;
  out["store_open_s"] = open_s;
  out["settle_wall_s"] = wall;
  out["settle_cpu_s"] = cpu;
  out["peak_rss_mb"] = static_cast<double>(usage.ru_maxrss) / 1024.0;
  out["statements_sha256"] = sha256_hex(all);
  std::ofstream(out_path) << boost::json::serialize(out) << "\n";
  std::cout << boost::json::serialize(out) << "\n";
  return 0;
}

}  // namespace
}  // namespace fleetgate::ledger

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "generate" && argc == 6) {
    return fleetgate::ledger::generate(argv[2], argv[3], std::stoll(argv[4]), std::stoll(argv[5]));
  }
  if (mode == "settle" && argc == 5) return fleetgate::ledger::settle(argv[2], argv[3], argv[4]);
  std::fprintf(stderr,
               "usage: ledger_settle_bench generate DIR LEDGER_TOML USAGE_EVENTS REVENUE_EVENTS\n"
               "       ledger_settle_bench settle DIR LEDGER_TOML OUT.json\n");
  return 2;
}
