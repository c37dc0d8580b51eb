// control_plane_bench CONFIG THREADS SECONDS [NODES]: audited control-plane commits per second
// through the code fleetgate runs (FleetRegistry::register_vehicle and
// CredentialStore::issue_vehicle_token, each one transaction with its audit entry), on the
// control store CONFIG's [control] names. NODES > 1 opens that many control planes on the same
// database, as separate nodes would (PostgreSQL only). Driven by bench/scenarios/control_plane.sh;
// prints one JSON object.
#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>
#include <vector>

#include "fleetgate/app/cli.h"
#include "fleetgate/app/control_plane.h"
#include "fleetgate/core/json_text.h"
#include "fleetgate/telemetry/sim_vehicle.h"

int main(int argc, char** argv) {
  using namespace fleetgate;
  if (argc < 4) {
    std::cerr << "usage: control_plane_bench CONFIG THREADS SECONDS [NODES]\n";
    return 2;
  }
  const int threads = std::stoi(argv[2]);
  const double seconds = std::stod(argv[3]);
  const int nodes = argc > 4 ? std::stoi(argv[4]) : 1;
  auto loaded = app::load(argv[1]);
  if (!loaded.is_ok()) {
    std::cerr << "control_plane_bench: " << loaded.status().message() << "\n";
    return 1;
  }
  std::vector<app::ControlPlane> planes;
  for (int n = 0; n < nodes; ++n) {
    auto cp = app::open_control_plane(*loaded);
    if (!cp.is_ok()) {
      std::cerr << "control_plane_bench: " << cp.status().message() << "\n";
      return 1;
    }
    planes.push_back(std::move(cp).value());
  }
  std::atomic<bool> stop{false};
  std::atomic<int64_t> commits{0}, failures{0};
  std::vector<std::thread> workers;
  const auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      app::ControlPlane& cp = planes[static_cast<size_t>(t % nodes)];
      // sim_vin takes six-digit serials: each thread registers from its own share of them.
      const uint32_t share = 1'000'000 / static_cast<uint32_t>(threads);
      for (uint32_t k = 0; k < share && !stop.load(std::memory_order_relaxed); ++k) {
        const std::string vin = telemetry::sim_vin(static_cast<uint32_t>(t) * share + k);
        auto r = cp.registry->register_vehicle(vin, "US", "bench", "cli:bench");
        if (!r.is_ok()) {
          if (failures++ == 0) std::cerr << "control_plane_bench: " << r.status().to_string() << "\n";
          continue;
        }
        ++commits;
        auto token = cp.credentials->issue_vehicle_token(vin, r->region, "cli:bench");
        if (token.is_ok()) ++commits;
        else if (failures++ == 0) std::cerr << "control_plane_bench: " << token.status().to_string() << "\n";
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& w : workers) w.join();
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto verified = planes[0].audit->verify();
  boost::json::object out{{"backend", loaded->config->control.backend == config::ControlSettings::Backend::kPostgres ? "postgres" : "embedded"},
                          {"threads", threads},
                          {"nodes", nodes},
                          {"seconds", elapsed},
                          {"commits", commits.load()},
                          {"failures", failures.load()},
                          {"commits_per_second", static_cast<double>(commits.load()) / elapsed},
                          {"chain_intact", verified.is_ok() && verified->intact()}};
  std::cout << json_text(out) << "\n";
  return failures.load() == 0 && verified.is_ok() && verified->intact() ? 0 : 1;
}
