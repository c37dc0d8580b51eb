// `fleetgate config check FILE`: validate a config, and the ledger terms beside it when present,
// without starting anything.
#include <filesystem>
#include <iostream>

#include "fleetgate/app/cli.h"
#include "fleetgate/app/deployment_check.h"

namespace fleetgate::app {

void add_config_commands(CLI::App& app, Cli& cli) {
  auto* config = app.add_subcommand("config", "Inspect and validate configuration");
  config->require_subcommand(1);
  auto* check = config->add_subcommand("check", "Validate a config file (structure, references, residency of provider chains)");
  auto file = std::make_shared<std::string>();
  check->add_option("file", *file, "Config file (default: the global --config)");
  check->callback([&cli, file] {
    const std::string path = file->empty() ? cli.config_path : *file;
    LoadedConfig loaded = must(load(path));
    const auto& c = *loaded.config;
    const std::optional<std::filesystem::path> terms = must(check_deployment(loaded));
    cli.out() << path << ": ok: " << c.regions.size() << " regions, " << c.markets.size() << " markets, "
              << c.providers.size() << " providers\n";
    for (const auto& pin : c.assistant.tool_functions) cli.out() << "  tool " << pin.tool << " -> " << pin.function << "\n";
    for (const auto& r : c.regions) {
      cli.out() << "  " << r.id << " (" << r.name << "): chain";
      for (const auto* p : loaded.policy->permitted_chain(r.id)) cli.out() << " " << p->id << "@" << p->location;
      cli.out() << "; data " << r.data_dir.string() << "\n";
    }
    // What each origin rule leaves the cars it covers.
    for (const auto& rule : c.prohibited_origins) {
      for (const auto& market : rule.markets) {
        const config::Region& region = *c.region_for_market(market);
        cli.out() << "  market " << market << " from model year " << rule.from_model_year << " (" << rule.reference
                  << "): chain";
        for (const auto* p : loaded.policy->permitted_chain(residency::Car{region.id, market, rule.from_model_year})) {
          cli.out() << " " << p->id << "@" << p->location;
        }
        cli.out() << "\n";
      }
    }
    if (terms) cli.out() << terms->string() << ": ok: every served model is priced\n";
  });
}

}  // namespace fleetgate::app
