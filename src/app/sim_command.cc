// `fleetgate sim fleet|run`: the fleet simulator. `sim fleet` registers generated vehicles across
// the configured markets and writes their tokens ("VIN TOKEN" lines; run it while serve is not
// holding the data dir); `sim run` drives them over WebSocket against a running server with a
// progress line, a summary, and optionally a log of every acknowledged (VIN, seq).
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "fleetgate/app/cli.h"
#include "fleetgate/app/control_plane.h"
#include "fleetgate/telemetry/fleet_sim.h"
#include "fleetgate/telemetry/sim_vehicle.h"

namespace fleetgate::app {
namespace {

void add_fleet(CLI::App& sim, Cli& cli) {
  struct Args {
    int vehicles = 10;
    uint32_t first_serial = 1;
    std::string out;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = sim.add_subcommand("fleet", "Register generated vehicles spread over every region and write their tokens");
  cmd->add_option("--vehicles", args->vehicles, "How many vehicles")->check(CLI::Range(1, 100000));
  cmd->add_option("--first-serial", args->first_serial, "Serial number of the first generated VIN");
  cmd->add_option("--tokens", args->out, "Token file to write (VIN TOKEN per line, mode 0600)")->required();
  cmd->callback([&cli, args] {
    LoadedConfig loaded = must(load(cli.config_path));
    ControlPlane cp = must(open_control_plane(loaded));
    // One market per region, so the fleet spreads evenly over the regions.
    std::vector<std::string> markets;
    for (const auto& region : loaded.config->regions) {
      for (const auto& [market, id] : loaded.config->markets) {
        if (id == region.id) {
          markets.push_back(market);
          break;
        }
      }
    }
    if (markets.empty()) fail("no market maps to any region");
    std::ofstream out(args->out, std::ios::trunc);
    if (!out) fail("cannot write " + args->out);
    std::filesystem::permissions(args->out, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    for (int i = 0; i < args->vehicles; ++i) {
      const std::string vin = telemetry::sim_vin(args->first_serial + static_cast<uint32_t>(i));
      auto record = cp.registry->show(vin);
      if (!record.is_ok()) {
        record = cp.registry->register_vehicle(vin, markets[static_cast<size_t>(i) % markets.size()], "sim", cli_actor());
      }
      const auto& r = must(std::move(record));
      out << r.vin << " " << must(cp.credentials->issue_vehicle_token(r.vin, r.region, cli_actor())) << "\n";
    }
    out.close();
    if (!out) fail("cannot write " + args->out);
    std::cout << "wrote " << args->vehicles << " vehicle tokens to " << args->out << "\n";
  });
}

void add_run(CLI::App& sim) {
  struct Args {
    std::string tokens, url = "ws://127.0.0.1:8080/v1/telemetry/ws", acked;
    double rate = 1, duration_s = 10;
    size_t window = 64;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = sim.add_subcommand("run", "Drive the simulated vehicles against a running server");
  cmd->add_option("--tokens", args->tokens, "Token file from `sim fleet` (VIN TOKEN per line)")->required();
  cmd->add_option("--url", args->url, "WebSocket URL of the ingest endpoint")->capture_default_str();
  cmd->add_option("--rate", args->rate, "Records per second per vehicle; 0 = as fast as acks allow")
      ->check(CLI::Range(0.0, 1e6))->capture_default_str();
  cmd->add_option("--duration", args->duration_s, "Seconds to drive")->check(CLI::Range(0.1, 86400.0))->capture_default_str();
  cmd->add_option("--window", args->window, "Unacknowledged frames per vehicle")->check(CLI::Range(1, 100000))->capture_default_str();
  cmd->add_option("--acked", args->acked, "Append every acknowledged VIN and seq to this file");
  cmd->add_flag("--json", args->json, "Print the summary as JSON");
  cmd->callback([args] {
    telemetry::FleetSimOptions o;
    // ws://HOST:PORT/PATH, loopback or any host the operator names.
    const std::string prefix = "ws://";
    if (args->url.rfind(prefix, 0) != 0) fail("--url must start with ws://");
    const std::string rest = args->url.substr(prefix.size());
    const size_t slash = rest.find('/');
    const std::string authority = rest.substr(0, slash);
    o.target = slash == std::string::npos ? "/" : rest.substr(slash);
    const size_t colon = authority.rfind(':');
    o.host = authority.substr(0, colon);
    if (colon != std::string::npos) {
      try {
        o.port = static_cast<uint16_t>(std::stoul(authority.substr(colon + 1)));
      } catch (const std::exception&) {
        fail("bad port in --url " + args->url);
      }
    } else {
      o.port = 80;
    }
    o.vehicles = must(telemetry::read_credentials(args->tokens));
    o.rate = args->rate;
    o.duration = std::chrono::milliseconds(static_cast<int64_t>(args->duration_s * 1000));
    o.window = args->window;
    o.acked_log = args->acked;
    auto line = [](const telemetry::FleetSimProgress& p) {
      std::fprintf(stderr, "\rsent %llu  acked %llu  refused %llu  errors %llu  %.0f records/s   ",
                   static_cast<unsigned long long>(p.sent), static_cast<unsigned long long>(p.acked),
                   static_cast<unsigned long long>(p.refused), static_cast<unsigned long long>(p.errors),
                   p.acked_per_second());
    };
    const telemetry::FleetSimProgress p = must(telemetry::run_fleet(o, line));
    std::fprintf(stderr, "\n");
    if (args->json) {
      boost::json::object summary{{"vehicles", o.vehicles.size()}, {"sent", p.sent},       {"acked", p.acked},
                                  {"refused", p.refused},          {"errors", p.errors},   {"seconds", p.seconds},
                                  {"bytes_sent", p.bytes_sent},    {"acked_per_second", p.acked_per_second()}};
      std::cout << boost::json::serialize(summary) << "\n";
    } else {
      std::printf("%zu vehicles, %.1f s: sent %llu, acked %llu, refused %llu, errors %llu, %.0f records/s\n",
                  o.vehicles.size(), p.seconds, static_cast<unsigned long long>(p.sent),
                  static_cast<unsigned long long>(p.acked), static_cast<unsigned long long>(p.refused),
                  static_cast<unsigned long long>(p.errors), p.acked_per_second());
    }
  });
}

}  // namespace

void add_sim_commands(CLI::App& app, Cli& cli) {
  auto* sim = app.add_subcommand("sim", "Fleet simulator: generated vehicles sending driving telemetry");
  sim->require_subcommand(1);
  add_fleet(*sim, cli);
  add_run(*sim);
}

}  // namespace fleetgate::app
