// `fleetgate fleet register|show|list|import|rehome`: the fleet registry from the command line.
// Every change is recorded in the audit chain with the actor "cli:$USER".
#include <fmt/printf.h>

#include <boost/json/serialize.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "fleetgate/app/backend.h"
#include "fleetgate/app/cli.h"
#include "fleetgate/app/time_format.h"

namespace fleetgate::app {
namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

void print_record(std::ostream& out, const vehicle::VehicleRecord& r) {
  auto row = [&out](const char* name, const std::string& value) { out << "  " << name << value << "\n"; };
  out << r.vin << "\n";
  row("market        ", r.market);
  row("home region   ", r.region);
  row("label         ", r.label);
  row("manufacturer  ", r.manufacturer + " (WMI " + r.wmi + (r.origin_country.empty() ? "" : ", " + r.origin_country) + ")");
  row("plant         ", std::string(1, r.plant_code) + (r.plant.empty() ? "" : " " + r.plant));
  row("model year    ", r.model_year ? std::to_string(*r.model_year) : "unknown");
  row("check digit   ", r.check_digit_valid ? "valid" : "not valid (not required for this WMI)");
  row("providers     ", join(r.providers));
  row("registered    ", format_utc_ms(r.registered_ms));
  row("updated       ", format_utc_ms(r.updated_ms));
}

void add_register(CLI::App& fleet, Cli& cli) {
  struct Args {
    std::string vin, market, label;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = fleet.add_subcommand("register", "Register a vehicle; its market decides its home region");
  cmd->add_option("vin", args->vin, "VIN (17 characters, uppercase)")->required();
  cmd->add_option("--market", args->market, "ISO 3166 alpha-2 market it is registered in, e.g. DE")->required();
  cmd->add_option("--label", args->label, "Free text for operators");
  cmd->add_flag("--json", args->json, "Print the record as JSON");
  cmd->callback([&cli, args] {
    ControlPlane& cp = backend(cli).control();
    auto r = must(cp.registry->register_vehicle(args->vin, args->market, args->label, cli.who()));
    if (args->json) {
      cli.out() << boost::json::serialize(vehicle::to_json(r)) << "\n";
    } else {
      cli.out() << "registered " << r.vin << ": market " << r.market << ", home region " << r.region << ", "
                << r.manufacturer << (r.model_year ? " " + std::to_string(*r.model_year) : "") << "\n";
    }
  });
}

void add_show(CLI::App& fleet, Cli& cli) {
  struct Args {
    std::string vin;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = fleet.add_subcommand("show", "Show one registered vehicle");
  cmd->add_option("vin", args->vin, "VIN")->required();
  cmd->add_flag("--json", args->json, "Print the record as JSON");
  cmd->callback([&cli, args] {
    ControlPlane& cp = backend(cli).control();
    auto r = must(cp.registry->show(args->vin));
    if (args->json) {
      cli.out() << boost::json::serialize(vehicle::to_json(r)) << "\n";
    } else {
      print_record(cli.out(), r);
    }
  });
}

void add_list(CLI::App& fleet, Cli& cli) {
  struct Args {
    vehicle::ListFilter filter;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = fleet.add_subcommand("list", "List registered vehicles, ordered by VIN");
  cmd->add_option("--region", args->filter.region, "Only vehicles homed in this region");
  cmd->add_option("--market", args->filter.market, "Only vehicles registered in this market");
  cmd->add_option("--maker", args->filter.maker, "Only manufacturers containing this text (any case)");
  cmd->add_option("--limit", args->filter.limit, "Page size")->default_val(vehicle::kDefaultListLimit);
  cmd->add_option("--cursor", args->filter.cursor, "Continue after this VIN (the previous page's next cursor)");
  cmd->add_flag("--json", args->json, "Print {\"vehicles\": [...], \"next_cursor\": \"...\"}");
  cmd->callback([&cli, args] {
    ControlPlane& cp = backend(cli).control();
    auto page = must(cp.registry->list(args->filter));
    if (args->json) {
      boost::json::array vehicles;
      for (const auto& v : page.vehicles) vehicles.push_back(vehicle::to_json(v));
      cli.out() << boost::json::serialize(boost::json::object{{"vehicles", std::move(vehicles)},
                                                              {"next_cursor", page.next_cursor}})
                << "\n";
      return;
    }
    cli.out() << fmt::sprintf("%-17s  %-6s  %-6s  %-4s  %-36s  %s\n", "VIN", "MARKET", "REGION", "YEAR", "MANUFACTURER", "LABEL");
    for (const auto& v : page.vehicles) {
      cli.out() << fmt::sprintf("%-17s  %-6s  %-6s  %-4s  %-36s  %s\n", v.vin.c_str(), v.market.c_str(), v.region.c_str(),
                  v.model_year ? std::to_string(*v.model_year).c_str() : "?", v.manufacturer.c_str(), v.label.c_str());
    }
    if (!page.next_cursor.empty()) cli.out() << fmt::sprintf("more: --cursor %s\n", page.next_cursor.c_str());
  });
}

void add_import(CLI::App& fleet, Cli& cli) {
  struct Args {
    std::string file;
    bool all_or_nothing = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = fleet.add_subcommand("import", "Register the vehicles of a CSV file (header vin,market,label)");
  cmd->add_option("file", args->file, "CSV file")->required();
  cmd->add_flag("--all-or-nothing", args->all_or_nothing, "Write nothing if any row is bad");
  cmd->callback([&cli, args] {
    std::ifstream in(cli.path(args->file), std::ios::binary);
    if (!in) fail("cannot read " + args->file);
    std::stringstream text;
    text << in.rdbuf();
    ControlPlane& cp = backend(cli).control();
    auto report = must(cp.registry->import_csv(
        text.str(), {.actor = cli.who(), .source = args->file, .all_or_nothing = args->all_or_nothing}));
    for (const auto& e : report.errors) cli.err() << args->file << ":" << e.line << ": " << e.reason << "\n";
    cli.out() << args->file << ": " << report.rows << " rows, " << report.imported << " imported, "
              << report.errors.size() << " bad"
              << (args->all_or_nothing && !report.errors.empty() ? " (all-or-nothing: nothing written)" : "") << "\n";
    if (!report.errors.empty()) fail(std::to_string(report.errors.size()) + " bad row(s) in " + args->file);
  });
}

void add_rehome(CLI::App& fleet, Cli& cli) {
  struct Args {
    std::string vin, market, reason;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = fleet.add_subcommand("rehome", "Move a vehicle to another market (and that market's region)");
  cmd->add_option("vin", args->vin, "VIN")->required();
  cmd->add_option("--market", args->market, "New market, ISO 3166 alpha-2")->required();
  cmd->add_option("--reason", args->reason, "Why; recorded in the audit chain")->required();
  cmd->callback([&cli, args] {
    ControlPlane& cp = backend(cli).control();
    auto moved = must(cp.registry->rehome(args->vin, args->market, cli.who(), args->reason));
    cli.out() << "rehomed " << moved.after.vin << ": " << moved.before.market << " (" << moved.before.region
              << ") -> " << moved.after.market << " (" << moved.after.region << ")\n";
    if (moved.before.region != moved.after.region) {
      cli.out() << "note: data already stored in region " << moved.before.region << " stays there\n";
    }
  });
}

}  // namespace

void add_token(CLI::App& fleet, Cli& cli) {
  auto vin = std::make_shared<std::string>();
  auto* cmd = fleet.add_subcommand("token", "Issue the vehicle's bearer token (shown once; replaces its previous token)");
  cmd->add_option("vin", *vin, "VIN of a registered vehicle")->required();
  cmd->callback([&cli, vin] {
    ControlPlane& cp = backend(cli).control();
    auto record = must(cp.registry->show(*vin));
    cli.out() << must(cp.credentials->issue_vehicle_token(record.vin, record.region, cli.who())) << "\n";
  });
}

void add_fleet_commands(CLI::App& app, Cli& cli) {
  auto* fleet = app.add_subcommand("fleet", "Fleet registry: vehicles, markets, home regions");
  fleet->require_subcommand(1);
  add_register(*fleet, cli);
  add_show(*fleet, cli);
  add_list(*fleet, cli);
  add_import(*fleet, cli);
  add_rehome(*fleet, cli);
  add_token(*fleet, cli);
}

}  // namespace fleetgate::app
