// libFuzzer target: `fleetgate fleet import` CSV (FleetRegistry::import_csv: header, RFC 4180
// lines, VINs, markets, labels, duplicates) into a registry over the shipped config, stored in a
// scratch directory for the whole run, so VINs registered by earlier inputs are "already
// registered" later. Properties: a refusal says why; a report counts its rows, names each bad row
// by a line after the header, and imports only rows that were not reported (none at all when the
// import is all or nothing).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "fleetgate/audit/audit_log.h"
#include "fleetgate/residency/policy.h"
#include "fleetgate/store/data_dir.h"
#include "fleetgate/store/test_dir.h"
#include "fleetgate/vehicle/registry.h"

namespace {

using namespace fleetgate;

// Setting up the scratch fleet cannot fail but for the machine; say why and stop.
void require(const Status& s) {
  if (s.is_ok()) return;
  std::fprintf(stderr, "fleet_import_fuzz: cannot set up: %s\n", s.to_string().c_str());
  std::abort();
}

struct Fleet {
  store::TestDir dir;
  std::shared_ptr<const residency::Policy> policy;
  std::unique_ptr<store::KvStore> store;
  std::unique_ptr<audit::AuditLog> audit;
  std::unique_ptr<vehicle::FleetRegistry> registry;

  Fleet() {
    auto cfg = config::load_config(FLEETGATE_SOURCE_DIR "/config/fleetgate.toml");
    require(cfg.status());
    cfg->server.data_dir = dir.path();
    for (auto& region : cfg->regions) region.data_dir = dir / region.id;
    auto p = residency::Policy::create(std::make_shared<const config::Config>(std::move(cfg).value()));
    require(p.status());
    policy = std::make_shared<const residency::Policy>(std::move(p).value());
    auto s = store::open_control_store(policy->config());
    require(s.status());
    store = std::move(s).value();
    auto a = audit::AuditLog::open(*store, [] { return int64_t{1'748'736'000'000}; });
    require(a.status());
    audit = std::move(a).value();
    registry = std::make_unique<vehicle::FleetRegistry>(*audit, policy);
  }
};

Fleet& fleet() {
  static Fleet f;
  return f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view csv(reinterpret_cast<const char*>(data), size);
  vehicle::ImportOptions options;
  options.actor = "fuzz";
  options.all_or_nothing = size % 2 == 0;  // both modes, chosen by something every input has
  auto report = fleet().registry->import_csv(csv, options);
  if (!report.is_ok()) {
    if (report.status().message().empty()) __builtin_trap();
    return 0;
  }
  if (report->imported + report->errors.size() > report->rows) __builtin_trap();
  if (options.all_or_nothing && !report->errors.empty() && report->imported != 0) __builtin_trap();
  for (const vehicle::RowError& e : report->errors) {
    if (e.line < 2 || e.reason.empty()) __builtin_trap();
  }
  return 0;
}
