// `fleetgate train curate|datasets --region R`: curation inside one region. `curate` reads the
// region's telemetry from its own store (opening the sealed personal fields with the region's
// keys, which never leave it), selects windows around [learning.triggers] events plus sampled
// negatives, and stores a versioned dataset back in the same store; `datasets` lists them. Both
// run through the running service when one serves, like the other admin commands.
#include <fmt/printf.h>

#include "fleetgate/app/backend.h"
#include "fleetgate/app/cli.h"
#include "fleetgate/app/train_group.h"
#include "fleetgate/core/json_text.h"
#include "fleetgate/learning/curation.h"
#include "fleetgate/learning/dataset.h"
#include "fleetgate/learning/dataset_json.h"
#include "fleetgate/learning/trace.h"

namespace fleetgate::app {
namespace {

std::string counts_text(const std::map<std::string, int64_t>& counts) {
  std::string out;
  for (const auto& [trigger, n] : counts) out += (out.empty() ? "" : ", ") + trigger + " " + std::to_string(n);
  return out;
}

void add_curate(CLI::App& train, Cli& cli) {
  struct Args {
    std::string region;
    learning::CurationOptions options;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = train.add_subcommand("curate", "Build a labelled dataset from a region's telemetry, inside the region");
  cmd->add_option("--region", args->region, "Region whose telemetry is curated; the dataset stays there")->required();
  auto& o = args->options;
  cmd->add_option("--window-s", o.window_s, "Seconds of history per example")->check(CLI::Range(0.1, 3600.0))->capture_default_str();
  cmd->add_option("--horizon-s", o.horizon_s, "Label: hard braking within this many seconds after the window")
      ->check(CLI::Range(0.1, 600.0))->capture_default_str();
  cmd->add_option("--negatives-per-positive", o.negatives_per_positive, "Sampled negatives per positive example")
      ->check(CLI::Range(0.0, 1000.0))->capture_default_str();
  cmd->add_option("--test-fraction", o.test_fraction, "Share of vehicles held out for test")
      ->check(CLI::Range(0.0, 0.95))->capture_default_str();
  cmd->add_option("--seed", o.seed, "Seed of the sampling and the vehicle split")->capture_default_str();
  cmd->add_option("--version", o.version, "Dataset version (default: v<unix ms>)");
  cmd->add_flag("--json", args->json, "Print the summary as JSON");
  cmd->callback([&cli, args] {
    Backend& b = backend(cli);
    ControlPlane& cp = b.control();
    const transfer::RegionData home = b.region(args->region);
    learning::CurationOptions options = args->options;
    options.triggers = b.loaded().config->learning.triggers;
    const auto traces = must(learning::read_region_traces(*must(home.records()), home.codec()));
    const learning::Dataset d = must(learning::curate(args->region, traces, options));
    const std::string version = must(learning::save_dataset(*home.store, home.keys, d, home.codec().vehicle_keys()));
    const learning::DatasetInfo saved = learning::dataset_info(d);
    boost::json::object counts;
    for (const auto& [trigger, n] : saved.counts_per_trigger) counts[trigger] = n;
    const int64_t positives = saved.train_positives + saved.test_positives;
    const int64_t negatives = saved.train_examples + saved.test_examples - positives;
    must(cp.audit->append({cli.who(), "learning.curate", "dataset/" + version, args->region,
                           {{"vehicles", traces.size()}, {"positives", positives}, {"negatives", negatives},
                            {"seed", options.seed}, {"counts_per_trigger", counts}}}));
    if (args->json) {
      cli.out() << json_text(boost::json::object{
                       {"region", args->region}, {"version", version}, {"vehicles", traces.size()},
                       {"train_examples", saved.train_examples}, {"test_examples", saved.test_examples},
                       {"positives", positives}, {"negatives", negatives}, {"counts_per_trigger", counts}})
                << "\n";
      return;
    }
    cli.out() << fmt::sprintf("%s: dataset %s from %zu vehicles: %lld train / %lld test examples, %lld positive, %lld negative\n",
                args->region.c_str(), version.c_str(), traces.size(), static_cast<long long>(saved.train_examples),
                static_cast<long long>(saved.test_examples), static_cast<long long>(positives),
                static_cast<long long>(negatives));
    cli.out() << fmt::sprintf("  per trigger: %s\n", counts_text(saved.counts_per_trigger).c_str());
  });
}

void add_datasets(CLI::App& train, Cli& cli) {
  struct Args {
    std::string region;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = train.add_subcommand("datasets", "List the curated datasets stored in a region");
  cmd->add_option("--region", args->region, "Region whose datasets are listed")->required();
  cmd->add_flag("--json", args->json, "One JSON object per dataset");
  cmd->callback([&cli, args] {
    const transfer::RegionData home = backend(cli).region(args->region);
    for (const learning::DatasetInfo& d : must(learning::list_datasets(*home.store))) {
      if (args->json) {
        cli.out() << json_text(learning::to_json(d)) << "\n";
        continue;
      }
      cli.out() << fmt::sprintf("%s  %d steps x %d  train %lld (%lld positive)  test %lld (%lld positive)  %s\n", d.version.c_str(),
                  d.window_steps, d.step_dim, static_cast<long long>(d.train_examples),
                  static_cast<long long>(d.train_positives), static_cast<long long>(d.test_examples),
                  static_cast<long long>(d.test_positives), counts_text(d.counts_per_trigger).c_str());
    }
  });
}

}  // namespace

void add_curate_commands(CLI::App& app, Cli& cli) {
  CLI::App& train = train_group(app);
  add_curate(train, cli);
  add_datasets(train, cli);
}

}  // namespace fleetgate::app
