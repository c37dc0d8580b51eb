// The `train` command group. Curation (curate, datasets) and training (local, federate, evaluate)
// live in separate files; each adds its subcommands to the one group this returns, creating it
// on first use.
#pragma once

#include <CLI/CLI.hpp>

namespace fleetgate::app {

inline CLI::App& train_group(CLI::App& app) {
  for (CLI::App* sub : app.get_subcommands([](CLI::App* s) { return s->get_name() == "train"; })) return *sub;
  CLI::App* train = app.add_subcommand("train", "Curate datasets and train models inside their regions; federate them");
  train->require_subcommand(1);
  return *train;
}

}  // namespace fleetgate::app
