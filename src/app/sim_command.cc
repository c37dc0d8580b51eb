// `fleetgate sim fleet|run|replay`: the fleet simulator. `sim fleet` registers generated vehicles across
// the configured markets and writes their tokens ("VIN TOKEN" lines; through the running service
// when one serves; VINs registered otherwise, or with --region in another region, refuse the
// whole run before anything changes); `sim run` drives them over WebSocket against a running server with a
// progress line, a summary, and optionally a log of every acknowledged (VIN, seq); `sim replay`
// sends a SUMO scenario's traffic (fcd_replay.h) as the telemetry of one region's vehicles.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "fleetgate/app/backend.h"
#include "fleetgate/access/vehicle_token.h"
#include "fleetgate/app/cli.h"
#include "fleetgate/core/json_text.h"
#include "fleetgate/telemetry/fcd_replay.h"
#include "fleetgate/telemetry/fleet_sim.h"
#include "fleetgate/telemetry/sim_vehicle.h"

namespace fleetgate::app {
namespace {

// The label `sim fleet` registers its vehicles with: a VIN registered under another label belongs
// to someone else, and its token is not `sim fleet`'s to replace.
constexpr std::string_view kSimLabel = "sim";

// One generated vehicle as planned before anything is written: `market` is set when it is to be
// registered, empty when an earlier `sim fleet` registered it (its token is then re-issued).
struct PlannedVehicle {
  std::string vin, market;
};

// Plans the VINs first_serial.. first_serial+count-1 over `markets` (round robin). Refuses the
// whole run (exit 1, nothing written) when a VIN is registered under another label or, when
// `region` is set, homed in another region: re-issuing tokens and then failing half-way would
// invalidate the token files of earlier runs for nothing.
std::vector<PlannedVehicle> plan_fleet(const vehicle::FleetRegistry& registry, uint32_t first_serial, int count,
                                       const std::vector<std::string>& markets, const std::string& region) {
  std::vector<PlannedVehicle> plan;
  std::string first_taken;
  int taken = 0;
  for (int i = 0; i < count; ++i) {
    const std::string vin = telemetry::sim_vin(first_serial + static_cast<uint32_t>(i));
    auto record = registry.show(vin);
    if (!record.is_ok()) {
      if (record.status().code() != Code::kNotFound) fail(record.status());
      plan.push_back({vin, markets[static_cast<size_t>(i) % markets.size()]});
      continue;
    }
    std::string why;
    if (record->label != kSimLabel) why = "is registered with label '" + record->label + "', not by sim fleet";
    else if (!region.empty() && record->region != region) why = "is homed in region '" + record->region + "'";
    if (why.empty()) {
      plan.push_back({vin, ""});
    } else if (taken++ == 0) {
      first_taken = vin + " " + why;
    }
  }
  if (taken > 0) {
    fail(std::to_string(taken) + " of " + std::to_string(count) + " VINs are taken (" + first_taken +
         "); nothing was changed: pick other VINs with --first-serial");
  }
  return plan;
}

void add_fleet(CLI::App& sim, Cli& cli) {
  struct Args {
    int vehicles = 10;
    uint32_t first_serial = 1;
    std::string out;
    std::string region;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = sim.add_subcommand("fleet", "Register generated vehicles spread over every region and write their tokens");
  cmd->add_option("--vehicles", args->vehicles, "How many vehicles")->check(CLI::Range(1, 100000));
  cmd->add_option("--first-serial", args->first_serial, "Serial number of the first generated VIN");
  cmd->add_option("--tokens", args->out, "Token file to write (VIN TOKEN per line, mode 0600)")->required();
  cmd->add_option("--region", args->region, "Register every vehicle in this region only");
  cmd->callback([&cli, args] {
    Backend& b = backend(cli);
    const LoadedConfig& loaded = b.loaded();
    if (!args->region.empty() && loaded.config->region(args->region) == nullptr) fail("unknown region '" + args->region + "'");
    ControlPlane& cp = b.control();
    // One market per region, so the fleet spreads evenly over the regions (or the one asked for).
    std::vector<std::string> markets;
    for (const auto& region : loaded.config->regions) {
      if (!args->region.empty() && region.id != args->region) continue;
      for (const auto& [market, id] : loaded.config->markets) {
        if (id == region.id) {
          markets.push_back(market);
          break;
        }
      }
    }
    if (markets.empty()) fail("no market maps to any region");
    const std::vector<PlannedVehicle> plan = plan_fleet(*cp.registry, args->first_serial, args->vehicles, markets, args->region);
    const std::filesystem::path file = cli.path(args->out);
    std::ofstream out(file, std::ios::trunc);
    if (!out) fail("cannot write " + args->out);
    std::filesystem::permissions(file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    for (const PlannedVehicle& v : plan) {
      const vehicle::VehicleRecord r = v.market.empty() ? must(cp.registry->show(v.vin))
                                                        : must(cp.registry->register_vehicle(v.vin, v.market, kSimLabel, cli.who()));
      out << r.vin << " " << must(cp.credentials->issue_vehicle_token(r.vin, r.region, cli.who())) << "\n";
    }
    out.close();
    if (!out) fail("cannot write " + args->out);
    cli.out() << "wrote " << args->vehicles << " vehicle tokens to " << args->out << "\n";
  });
}

void add_run(CLI::App& sim) {
  struct Args {
    std::string tokens, url = "ws://127.0.0.1:8080/v1/telemetry/ws", acked;
    double rate = 1, duration_s = 10;
    size_t window = 64;
    size_t records_per_frame = 1;
    size_t max_retries = 10;
    bool json = false;
    std::string ca, cert, key;  // wss
  };
  auto args = std::make_shared<Args>();
  auto* cmd = sim.add_subcommand("run", "Drive the simulated vehicles against a running server");
  cmd->add_option("--tokens", args->tokens,
                  "Token file from `sim fleet` (VIN TOKEN per line; VIN alone when --cert authenticates)")->required();
  cmd->add_option("--url", args->url, "WebSocket URL of the ingest endpoint")->capture_default_str();
  cmd->add_option("--rate", args->rate, "Records per second per vehicle; 0 = as fast as acks allow")
      ->check(CLI::Range(0.0, 1e6))->capture_default_str();
  cmd->add_option("--duration", args->duration_s, "Seconds to drive")->check(CLI::Range(0.1, 86400.0))->capture_default_str();
  cmd->add_option("--window", args->window, "Unacknowledged frames per vehicle")->check(CLI::Range(1, 100000))->capture_default_str();
  cmd->add_option("--records-per-frame", args->records_per_frame, "Records per WebSocket frame (> 1: batch frames)")
      ->check(CLI::Range(1, 10000))->capture_default_str();
  cmd->add_option("--max-retries", args->max_retries, "Reconnect attempts in a row before a vehicle gives up")
      ->check(CLI::Range(0, 1000))->capture_default_str();
  cmd->add_option("--acked", args->acked, "Append every acknowledged VIN and seq to this file");
  cmd->add_option("--ca", args->ca, "wss: PEM CA to verify the server with (default: the system store)");
  cmd->add_option("--cert", args->cert, "wss: each vehicle's PEM client certificate; {vin} is replaced by the VIN");
  cmd->add_option("--key", args->key, "wss: the matching PEM private key; {vin} is replaced by the VIN");
  cmd->add_flag("--json", args->json, "Print the summary as JSON");
  cmd->callback([args] {
    telemetry::FleetSimOptions o;
    // ws[s]://HOST:PORT/PATH, loopback or any host the operator names.
    if (Status s = telemetry::set_endpoint(o, args->url); !s.is_ok()) fail(s);
    if (!o.tls && !(args->ca + args->cert + args->key).empty()) fail("--ca, --cert and --key need a wss:// --url");
    o.ca_file = args->ca;
    o.client_cert = args->cert;
    o.client_key = args->key;
    o.vehicles = must(telemetry::read_credentials(args->tokens));
    for (telemetry::SimCredential& v : o.vehicles) {  // a car's token names its home region, where it drives
      if (auto region = access::vehicle_token_region(v.token)) v.region = std::string(*region);
    }
    o.rate = args->rate;
    o.duration = std::chrono::milliseconds(static_cast<int64_t>(args->duration_s * 1000));
    o.window = args->window;
    o.acked_log = args->acked;
    o.records_per_frame = args->records_per_frame;
    o.max_retries = args->max_retries;
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
                                  {"bytes_sent", p.bytes_sent},    {"acked_per_second", p.acked_per_second()},
                                  {"reconnects", p.reconnects},    {"resent", p.resent},
                                  {"records_per_frame", o.records_per_frame},
                                  {"ack_p50_us", p.ack_p50_us},    {"ack_p99_us", p.ack_p99_us}};
      std::cout << json_text(summary) << "\n";
    } else {
      std::printf("%zu vehicles, %.1f s: sent %llu, acked %llu, refused %llu, errors %llu, %.0f records/s\n",
                  o.vehicles.size(), p.seconds, static_cast<unsigned long long>(p.sent),
                  static_cast<unsigned long long>(p.acked), static_cast<unsigned long long>(p.refused),
                  static_cast<unsigned long long>(p.errors), p.acked_per_second());
    }
    // A run that stored nothing (no server, refused credentials) must not look like a success.
    if (p.acked == 0) fail("no record was acknowledged (" + std::to_string(p.errors) + " connection errors)");
  });
}

// The origin of a scenario from tools/sumo-scenarios.sh: scenario.env beside the FCD file,
// which must be the scenario of `region`.
telemetry::FcdProjection scenario_origin(const std::filesystem::path& fcd, const std::string& region) {
  const auto env = fcd.parent_path() / "scenario.env";
  std::ifstream in(env);
  if (!in) fail("give --origin LAT,LON (no " + env.string() + ")");
  std::map<std::string, std::string> vars;
  for (std::string line; std::getline(in, line);) {
    const size_t eq = line.find('=');
    if (eq != std::string::npos) vars[line.substr(0, eq)] = line.substr(eq + 1);
  }
  if (vars["REGION"] != region) fail(env.string() + " is a scenario of region '" + vars["REGION"] + "', not '" + region + "'");
  telemetry::FcdProjection p;
  try {
    p.origin_lat = std::stod(vars.at("ORIGIN_LAT"));
    p.origin_lon = std::stod(vars.at("ORIGIN_LON"));
  } catch (const std::exception&) {
    fail(env.string() + ": ORIGIN_LAT and ORIGIN_LON must be numbers");
  }
  return p;
}

void add_replay(CLI::App& sim) {
  struct Args {
    std::string fcd, region, tokens, url = "ws://127.0.0.1:8080/v1/telemetry/ws";
    std::vector<double> origin;
    bool geo = false;
    size_t window = 64, records_per_frame = 10;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = sim.add_subcommand("replay", "Replay SUMO floating car data as telemetry of a region's vehicles");
  cmd->add_option("--sumo-fcd", args->fcd, "FCD file written by sumo --fcd-output (tools/sumo-scenarios.sh)")->required();
  cmd->add_option("--region", args->region, "Region whose vehicles drive the scenario")->required();
  cmd->add_option("--tokens", args->tokens, "Token file from `sim fleet --region R` (VIN TOKEN per line)")->required();
  cmd->add_option("--url", args->url, "WebSocket URL of the ingest endpoint")->capture_default_str();
  cmd->add_option("--origin", args->origin, "LAT,LON of network (0, 0); default: scenario.env beside the FCD")
      ->delimiter(',')->expected(2);
  cmd->add_flag("--geo", args->geo, "The FCD holds lon/lat (sumo --fcd-output.geo), not metres");
  cmd->add_option("--window", args->window, "Unacknowledged frames per vehicle")->check(CLI::Range(1, 100000))->capture_default_str();
  cmd->add_option("--records-per-frame", args->records_per_frame, "Records per WebSocket frame")
      ->check(CLI::Range(1, 10000))->capture_default_str();
  cmd->callback([args] {
    telemetry::FcdReplayOptions ro;
    if (args->geo) ro.projection.geo = true;
    else if (args->origin.size() == 2) ro.projection = {args->origin[0], args->origin[1], false};
    else ro.projection = scenario_origin(args->fcd, args->region);
    telemetry::FleetSimOptions o;
    if (Status s = telemetry::set_endpoint(o, args->url); !s.is_ok()) fail(s);
    o.rate = 0;
    o.duration = std::chrono::hours(24);
    o.window = args->window;
    o.records_per_frame = args->records_per_frame;
    auto credentials = must(telemetry::read_credentials(args->tokens));
    auto line = [](const telemetry::FleetSimProgress& p) {
      std::fprintf(stderr, "\rsent %llu  acked %llu  refused %llu  errors %llu  %.0f records/s   ",
                   static_cast<unsigned long long>(p.sent), static_cast<unsigned long long>(p.acked),
                   static_cast<unsigned long long>(p.refused), static_cast<unsigned long long>(p.errors),
                   p.acked_per_second());
    };
    const auto p = must(telemetry::replay_fcd(args->fcd, ro, std::move(credentials), o, line));
    std::fprintf(stderr, "\n");
    std::printf("replayed into region %s in %.1f s: sent %llu, acked %llu, refused %llu, errors %llu, %.0f records/s\n",
                args->region.c_str(), p.seconds, static_cast<unsigned long long>(p.sent),
                static_cast<unsigned long long>(p.acked), static_cast<unsigned long long>(p.refused),
                static_cast<unsigned long long>(p.errors), p.acked_per_second());
    if (p.acked != p.sent) fail("not every record was stored (" + std::to_string(p.sent - p.acked) + " missing)");
  });
}

}  // namespace

void add_sim_commands(CLI::App& app, Cli& cli) {
  auto* sim = app.add_subcommand("sim", "Fleet simulator: generated vehicles sending driving telemetry");
  sim->require_subcommand(1);
  add_fleet(*sim, cli);
  add_run(*sim);
  add_replay(*sim);
}

}  // namespace fleetgate::app
