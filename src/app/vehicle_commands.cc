// `fleetgate vehicle erase VIN --reason R`: erasure of a vehicle by crypto-shredding
// (vehicle_erasure.h); `fleetgate vehicle owner-token VIN`: the owner's token; `fleetgate vehicle
// data VIN [--part P] [--format F] [--cursor C]`: what the owner reads (vehicle_data.h), for a DPO
// answering an access request. Each in the vehicle's home region, which this node must serve.
#include <boost/json/serialize.hpp>
#include <optional>

#include "fleetgate/access/credentials.h"
#include "fleetgate/app/backend.h"
#include "fleetgate/app/cli.h"
#include "fleetgate/app/vehicle_data.h"
#include "fleetgate/app/vehicle_erasure.h"

namespace fleetgate::app {
namespace {

void add_erase(CLI::App& vehicle, Cli& cli) {
  struct Args {
    std::string vin, reason;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = vehicle.add_subcommand(
      "erase", "Erase a vehicle's data (crypto-shredding: its data key is destroyed) and replace its registration by a tombstone");
  cmd->add_option("vin", args->vin, "VIN of a registered vehicle")->required();
  cmd->add_option("--reason", args->reason, "Why (e.g. the owner's request and its reference); recorded in the audit chain")
      ->required();
  cmd->add_flag("--json", args->json, "Print what was erased as JSON");
  cmd->callback([&cli, args] {
    Backend& b = backend(cli);
    ControlPlane& cp = b.control();
    const vehicle::VehicleRecord record = must(cp.registry->show(args->vin));
    const transfer::RegionData home = b.region(record.region);
    telemetry::RegionTelemetry* t = b.telemetry().region(record.region);
    if (t == nullptr) fail("region '" + record.region + "' keeps no telemetry on this node");
    const VehicleErasure e = must(erase_vehicle(cp, *t, *home.store, b.sessions(), record.vin, cli.who(), args->reason));
    if (args->json) {
      cli.out() << boost::json::serialize(to_json(e)) << "\n";
      return;
    }
    cli.out() << "erased " << record.vin << " in region " << e.region << " (now " << e.pseudonym << "): ";
    if (e.key_generation) cli.out() << "data key generation " << *e.key_generation << " destroyed";
    else cli.out() << "it had no data key";
    cli.out() << ", " << e.blocks << " telemetry block(s) deleted, token " << (e.token_revoked ? "revoked" : "none")
              << ", audit entry " << e.audit_seq << "\n";
  });
}

void add_owner_token(CLI::App& vehicle, Cli& cli) {
  struct Args {
    std::string vin;
    std::optional<int64_t> since_ms;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = vehicle.add_subcommand(
      "owner-token",
      "Issue the token of the vehicle's owner (shown once; replaces the owner token issued before, and its grants)");
  cmd->add_option("vin", args->vin, "VIN of a registered vehicle")->required();
  cmd->add_option("--since-ms", args->since_ms,
                  "Owned since (ms since the Unix epoch): the owner reads no data from before; default: its registration");
  cmd->callback([&cli, args] {
    Backend& b = backend(cli);
    ControlPlane& cp = b.control();
    const vehicle::VehicleRecord record = must(cp.registry->show(args->vin));
    const std::vector<access::DataGrant> grants = must(cp.credentials->grants(record.vin));
    const std::string token = must(cp.credentials->issue_owner_token(
        record.vin, record.region, args->since_ms.value_or(record.registered_ms), cli.who()));
    if (http::SessionRegistry* sessions = b.sessions()) {
      sessions->end(access::owner_token_credential(record.vin));
      for (const auto& g : grants) sessions->end(access::grant_credential(g.id));
    }
    cli.out() << token << "\n";
  });
}

void add_data(CLI::App& vehicle, Cli& cli) {
  struct Args {
    std::string vin, part = "all", format = "json", cursor;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = vehicle.add_subcommand("data", "Print what the vehicle's owner reads of it (GET /v1/vehicles/{vin}/data)");
  cmd->add_option("vin", args->vin, "VIN of a registered vehicle")->required();
  cmd->add_option("--part", args->part, "all, vehicle, telemetry, usage or transfers")->capture_default_str();
  cmd->add_option("--format", args->format, "json or csv (one part)")->capture_default_str();
  cmd->add_option("--cursor", args->cursor, "With --part telemetry: the next page's cursor");
  cmd->callback([&cli, args] {
    Backend& b = backend(cli);
    ControlPlane& cp = b.control();
    const vehicle::VehicleRecord record = must(cp.registry->show(args->vin));
    const DataRequest request = must(parse_data_request(args->part, args->format, args->cursor));
    const transfer::RegionData home = b.region(record.region);
    const http::Principal reader{cli.who(), {"dpo"}, {record.region}};
    const DataDocument doc = must(vehicle_data(
        DataSources{record, b.telemetry(), b.usage_log(record.region), b.transfers(), *home.store}, reader, request));
    cli.out() << doc.body;
    if (!doc.body.ends_with("\n")) cli.out() << "\n";
    if (!doc.next_cursor.empty()) cli.err() << "more records: --cursor " << doc.next_cursor << "\n";
  });
}

}  // namespace

void add_vehicle_commands(CLI::App& app, Cli& cli) {
  auto* vehicle = app.add_subcommand("vehicle", "One vehicle's data: its owner's access, erasure");
  vehicle->require_subcommand(1);
  add_owner_token(*vehicle, cli);
  add_data(*vehicle, cli);
  add_erase(*vehicle, cli);
}

}  // namespace fleetgate::app
