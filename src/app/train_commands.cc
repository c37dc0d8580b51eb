// `fleetgate train local|federate|evaluate`: training inside a region, federated averaging
// across regions through model.weights transfers, and the local/federated/centralised table.
// They run through the running service when one serves, like the other admin commands.
#include <fmt/printf.h>

#include <filesystem>
#include <fstream>

#include "fleetgate/app/backend.h"
#include "fleetgate/app/cli.h"
#include "fleetgate/app/train_group.h"
#include "fleetgate/core/json_text.h"
#include "fleetgate/learning/evaluation.h"
#include "fleetgate/learning/federation.h"
#include "fleetgate/learning/local_training.h"
#include "fleetgate/transfer/transfer_service.h"

namespace fleetgate::app {
namespace {

std::vector<std::string> region_ids(const config::Config& cfg) {
  std::vector<std::string> ids;
  for (const auto& r : cfg.regions) ids.push_back(r.id);
  return ids;
}

std::string auc_text(const learning::BinaryMetrics& m) {
  char buf[32];
  if (!m.auc) return "n/a";
  std::snprintf(buf, sizeof buf, "%.3f", *m.auc);
  return buf;
}

std::string metrics_line(const learning::BinaryMetrics& m) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "AUC %s  accuracy %.3f  log loss %.4f  (%zu test examples, %zu positive)",
                auc_text(m).c_str(), m.accuracy, m.log_loss, m.examples, m.positives);
  return buf;
}

// The AUC of `m`, null when undefined (one class only).
boost::json::value auc_json(const learning::BinaryMetrics& m) {
  return m.auc ? boost::json::value(*m.auc) : boost::json::value(nullptr);
}

// Adds test_auc (null when undefined), test_accuracy and test_log_loss of `m` to `o`.
void put_test_metrics(boost::json::object& o, const learning::BinaryMetrics& m) {
  o["test_auc"] = auc_json(m);
  o["test_accuracy"] = m.accuracy;
  o["test_log_loss"] = m.log_loss;
}

// "\r[eu] epoch 12/30 [############--------] loss 0.3124" on the command's stderr, a newline at
// the end.
learning::EpochProgress progress_bar(const Cli& cli, std::string label) {
  return [&cli, label = std::move(label)](uint32_t epoch, uint32_t epochs, double loss) {
    constexpr uint32_t kWidth = 24;
    const uint32_t filled = epochs == 0 ? kWidth : epoch * kWidth / epochs;
    cli.err() << fmt::sprintf("\r[%s] epoch %u/%u [%s%s] loss %.4f", label, epoch, epochs, std::string(filled, '#'),
                              std::string(kWidth - filled, '-'), loss);
    if (epoch == epochs) cli.err() << "\n";
    cli.err().flush();
  };
}

// Options every training command shares.
struct TrainFlags {
  std::string dataset{learning::kLatestVersion};
  uint32_t epochs = 30;
  uint64_t seed = 1;
  int hidden = 32;
  uint32_t batch = 64;
  double learning_rate = 3e-3;

  void add_to(CLI::App& cmd, const char* epochs_help) {
    cmd.add_option("--dataset", dataset, "Dataset version of each region, or latest")->capture_default_str();
    cmd.add_option("--epochs", epochs, epochs_help)->check(CLI::Range(1, 10000))->capture_default_str();
    cmd.add_option("--seed", seed, "Seed of initial weights and batch order")->capture_default_str();
    cmd.add_option("--hidden", hidden, "Hidden units per layer")->check(CLI::Range(1, 4096))->capture_default_str();
    cmd.add_option("--batch", batch, "Examples per optimiser step")->check(CLI::Range(1, 1 << 20))->capture_default_str();
    cmd.add_option("--lr", learning_rate, "Adam learning rate")->check(CLI::Range(1e-6, 1.0))->capture_default_str();
  }
  learning::TrainOptions train() const { return {.epochs = epochs, .batch_size = batch, .learning_rate = learning_rate, .seed = seed}; }
  learning::LocalTrainOptions local(int64_t now_ms) const {
    return {.dataset_version = dataset, .hidden = hidden, .train = train(), .now_ms = now_ms};
  }
};

void add_local(CLI::App& train, Cli& cli) {
  struct Args {
    std::string region;
    TrainFlags flags;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = train.add_subcommand("local", "Train the hard-braking model inside one region on its own dataset");
  cmd->add_option("--region", args->region, "Region whose dataset trains the model; the checkpoint stays there")->required();
  args->flags.add_to(*cmd, "Passes over the training split");
  cmd->add_flag("--json", args->json, "Print the checkpoint metadata as JSON");
  cmd->callback([&cli, args] {
    Backend& b = backend(cli);
    ControlPlane& cp = b.control();
    const transfer::RegionData home = b.region(args->region);
    const learning::Checkpoint c = must(learning::train_and_store_local(
        *home.store, home.keys, home.codec().vehicle_keys(), args->flags.local(cp.audit->now_ms()), progress_bar(cli, args->region)));
    const learning::BinaryMetrics& m = *c.meta.test;
    const boost::json::value auc = auc_json(m);
    must(cp.audit->append({cli.who(), "learning.train_local", "model/local", args->region,
                           {{"dataset", c.meta.dataset_version}, {"train_examples", c.meta.train_examples},
                            {"epochs", c.meta.epochs}, {"seed", c.meta.seed}, {"test_auc", auc}}}));
    if (args->json) {
      boost::json::object out{{"region", c.meta.region}, {"dataset", c.meta.dataset_version}, {"train_examples", c.meta.train_examples}};
      put_test_metrics(out, m);
      cli.out() << json_text(out) << "\n";
      return;
    }
    cli.out() << args->region << ": trained on " << c.meta.train_examples << " examples of dataset " << c.meta.dataset_version
              << "; held-out " << metrics_line(m) << "\ncheckpoint stored in region " << args->region << " as model/local\n";
  });
}

void add_federate(CLI::App& train, Cli& cli) {
  struct Args {
    uint32_t rounds = 5;
    std::vector<std::string> regions;
    std::string aggregator;
    TrainFlags flags;
    double dp_clip = 0, dp_noise = 0, dp_delta = 1e-5;
    uint32_t personal_epochs = 10;
    std::string legal_basis, assessment_ref, bundle_dir;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  args->flags.epochs = 5;
  auto* cmd = train.add_subcommand("federate", "Federated averaging across regions; weights move only as approved model.weights transfers");
  cmd->add_option("--rounds", args->rounds, "Federated rounds")->required()->check(CLI::Range(1, 1000));
  cmd->add_option("--regions", args->regions, "Participating regions (default: all)")->delimiter(',');
  cmd->add_option("--aggregator", args->aggregator, "Region that averages (default: the last participant)");
  args->flags.add_to(*cmd, "Local epochs per round");
  cmd->add_option("--personal-epochs", args->personal_epochs,
                  "After the last round, adapt the global model this many epochs in each region on its own data; "
                  "the region deploys that personalised model (0: deploy the global model)")
      ->check(CLI::Range(0, 10000))->capture_default_str();
  cmd->add_option("--dp-clip", args->dp_clip, "Clip each region's update to this L2 norm (0: no differential privacy)")
      ->check(CLI::Range(0.0, 1e6));
  cmd->add_option("--dp-noise", args->dp_noise, "Gaussian noise multiplier sigma (noise std = sigma * clip)")->check(CLI::Range(0.0, 1e6));
  cmd->add_option("--dp-delta", args->dp_delta, "Delta of the reported (epsilon, delta)")->check(CLI::Range(1e-12, 0.5))->capture_default_str();
  cmd->add_option("--legal-basis", args->legal_basis, "Legal basis recorded on every weights transfer")->required();
  cmd->add_option("--assessment-ref", args->assessment_ref, "Security assessment reference of the weights transfers")->required();
  cmd->add_option("--bundle-dir", args->bundle_dir, "Where signed bundles are written (default: <data_dir>/federation)");
  cmd->add_flag("--json", args->json, "Print the run and each region's held-out metrics of the global model as JSON");
  cmd->callback([&cli, args] {
    if (args->dp_noise > 0 && args->dp_clip <= 0) fail("--dp-noise needs --dp-clip");
    // Every configured region's store opens, also those sitting this run out: the transfer
    // service needs them all.
    Backend& b = backend(cli);
    const config::Config& cfg = *b.loaded().config;
    audit::AuditLog& audit = *b.control().audit;
    learning::FederationOptions o;
    o.regions = args->regions.empty() ? region_ids(cfg) : args->regions;
    o.aggregator = args->aggregator.empty() ? o.regions.back() : args->aggregator;
    o.rounds = args->rounds;
    o.local = args->flags.train();
    if (args->personal_epochs > 0) {
      o.personal = args->flags.train();
      o.personal->epochs = args->personal_epochs;
    }
    o.hidden = args->flags.hidden;
    o.dataset_version = args->flags.dataset;
    if (args->dp_clip > 0) o.dp = learning::DpOptions{.clip = args->dp_clip, .noise_multiplier = args->dp_noise};
    o.dp_delta = args->dp_delta;
    o.legal_basis = args->legal_basis;
    o.assessment_ref = args->assessment_ref;
    o.bundle_dir = args->bundle_dir.empty() ? cfg.server.data_dir / "federation" : cli.path(args->bundle_dir);
    o.now_ms = audit.now_ms();
    o.run_id = std::to_string(o.now_ms);

    const http::Principal requester{cli.who(), {"operator"}, o.regions};
    auto step = [&cli](uint32_t round, uint32_t rounds, const std::string& what) {
      cli.err() << fmt::sprintf("\r\033[K[round %u/%u] %s", round, rounds, what);
      cli.err().flush();
    };
    const learning::FederationReport report =
        must(learning::run_federation(b.transfers(), *b.loaded().policy, requester, b.regions(), o, step));
    cli.err() << "\n";
    boost::json::object details{{"run", o.run_id}, {"rounds", o.rounds}, {"aggregator", o.aggregator},
                                {"transfers", report.transfer_ids.size()}, {"train_examples", report.train_examples}};
    if (report.epsilon) details["epsilon"] = *report.epsilon;
    details["deployed"] = o.personal ? learning::kPersonalisedKind : learning::kFederatedModel;
    if (o.personal) details["personal_epochs"] = o.personal->epochs;
    must(audit.append({cli.who(), "learning.federate", "model/federated", o.aggregator, details}));
    if (args->json) {
      boost::json::array regions;
      for (const auto& r : o.regions) {
        boost::json::object row{{"region", r}, {"train_examples", report.samples.at(r)}};
        put_test_metrics(row, report.test.at(r));
        row["global_test_auc"] = auc_json(report.global_test.at(r));
        regions.push_back(std::move(row));
      }
      details["regions"] = std::move(regions);
      details["bundle_dir"] = args->bundle_dir.empty() ? o.bundle_dir.string() : args->bundle_dir;
      cli.out() << json_text(details) << "\n";
      return;
    }

    cli.out() << "federated " << o.rounds << " rounds over " << o.regions.size() << " regions (aggregator "
              << o.aggregator << "), " << report.transfer_ids.size() << " model.weights transfers, bundles in "
              << (args->bundle_dir.empty() ? o.bundle_dir.string() : args->bundle_dir) << "\n";
    for (const auto& r : o.regions) {
      cli.out() << "  " << r << ": " << report.samples.at(r) << " training examples; global model on its held-out split: "
                << metrics_line(report.global_test.at(r)) << "\n";
      if (o.personal) cli.out() << "      personalised in " << r << " (deployed): " << metrics_line(report.test.at(r)) << "\n";
    }
    if (o.dp) {
      if (report.epsilon) {
        cli.out() << fmt::sprintf("differential privacy: clip %g, noise multiplier %g: (epsilon %.3f, delta %g) per region over %u rounds\n",
                    o.dp->clip, o.dp->noise_multiplier, *report.epsilon, o.dp_delta, o.rounds);
      } else {
        cli.out() << fmt::sprintf("differential privacy: updates clipped to %g, no noise, so no epsilon bound\n", o.dp->clip);
      }
    }
  });
}

void add_evaluate(CLI::App& train, Cli& cli) {
  struct Args {
    std::vector<std::string> regions;
    TrainFlags flags;
    std::string out;  // no default: a default path under bench/results/ overwrote the tracked run
  };
  auto args = std::make_shared<Args>();
  auto* cmd = train.add_subcommand(
      "evaluate", "Per region: local-only vs federated (global, personalised) vs centralised (simulation only) on its held-out split");
  cmd->add_option("--regions", args->regions, "Regions (default: all)")->delimiter(',');
  args->flags.add_to(*cmd, "Epochs of the local-only and centralised models");
  cmd->add_option("--out", args->out, "Also write the results as JSON to this file");
  cmd->callback([&cli, args] {
    Backend& b = backend(cli);
    const std::vector<std::string> ids = args->regions.empty() ? region_ids(*b.loaded().config) : args->regions;
    const learning::Comparison c = must(learning::compare_models(b.regions(ids), ids, args->flags.local(0)));
    cli.out() << learning::to_markdown(c) << "\n";
    if (args->out.empty()) return;
    boost::json::object result = learning::to_json(c);
    result["command"] = "fleetgate train evaluate";
    const std::filesystem::path out = cli.path(args->out);
    if (out.has_parent_path()) std::filesystem::create_directories(out.parent_path());
    std::ofstream file(out, std::ios::trunc);
    file << json_text(result) << "\n";
    file.close();
    if (!file) fail("cannot write " + args->out);
    cli.out() << "wrote " << args->out << "\n";
  });
}

}  // namespace

void add_train_commands(CLI::App& app, Cli& cli) {
  CLI::App& train = train_group(app);
  add_local(train, cli);
  add_federate(train, cli);
  add_evaluate(train, cli);
}

}  // namespace fleetgate::app
