// `fleetgate ledger revenue import|settle|statement|usage`: revenue-share settlement from the
// command line. The terms come from --ledger-config (default: ledger.toml beside the main
// config); usage is read from every region's usage log. Imports and closes are audited with the
// actor "cli:$USER".
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "fleetgate/app/cli.h"
#include "fleetgate/app/control_plane.h"
#include "fleetgate/core/money.h"
#include "fleetgate/ledger/ledger.h"
#include "fleetgate/store/data_dir.h"

namespace fleetgate::app {
namespace {

struct LedgerArgs {
  std::string ledger_config;  // empty: ledger.toml beside the main config
};

// Everything a ledger command needs, destroyed ledger first, stores last.
struct LedgerEnv {
  ControlPlane control;
  std::map<std::string, std::unique_ptr<store::KvStore>> region_stores;
  std::vector<std::unique_ptr<ledger::UsageLog>> logs;
  std::unique_ptr<ledger::Ledger> ledger;
};

std::unique_ptr<LedgerEnv> open_ledger(const Cli& cli, const LedgerArgs& args) {
  LoadedConfig loaded = must(load(cli.config_path));
  const std::filesystem::path terms =
      args.ledger_config.empty() ? std::filesystem::path(cli.config_path).parent_path() / "ledger.toml"
                                 : std::filesystem::path(args.ledger_config);
  ledger::LedgerConfig config = must(ledger::load_ledger_config(terms));
  auto env = std::make_unique<LedgerEnv>();
  env->control = must(open_control_plane(loaded));
  env->region_stores = must(store::open_region_stores(*loaded.config));
  std::vector<const ledger::UsageLog*> logs;
  for (auto& [region, kv] : env->region_stores) {
    env->logs.push_back(must(ledger::UsageLog::open(*kv, region)));
    logs.push_back(env->logs.back().get());
  }
  env->ledger = std::make_unique<ledger::Ledger>(std::move(config), *env->control.store, *env->control.audit, logs);
  return env;
}

ledger::Period period_arg(const std::string& text) { return must(ledger::Period::parse(text)); }

// A bar on stderr while the usage logs are scanned, only when stderr is a terminal.
ledger::Progress progress_bar(const std::string& label) {
  if (isatty(STDERR_FILENO) == 0) return {};
  return [label](double fraction) {
    const int width = 40;
    const int filled = static_cast<int>(fraction * width);
    std::fprintf(stderr, "\r%s [%s%s] %3d%%", label.c_str(), std::string(static_cast<size_t>(filled), '#').c_str(),
                 std::string(static_cast<size_t>(width - filled), '.').c_str(), static_cast<int>(fraction * 100));
    if (fraction >= 1.0) std::fprintf(stderr, "\n");
  };
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) fail("cannot write " + path.string());
}

void add_import(CLI::App& revenue, Cli& cli, std::shared_ptr<LedgerArgs> args) {
  auto file = std::make_shared<std::string>();
  auto* cmd = revenue.add_subcommand("import", "Import revenue events from CSV (all rows or none)");
  cmd->add_option("FILE", *file, "CSV with header id,time,type,feature,market,currency,amount")->required();
  cmd->callback([&cli, args, file] {
    std::ifstream in(*file, std::ios::binary);
    if (!in) fail(*file + ": cannot open");
    std::stringstream text;
    text << in.rdbuf();
    auto env = open_ledger(cli, *args);
    auto events = ledger::parse_revenue_csv(text.str(), env->ledger->config());
    if (!events.is_ok()) fail(*file + ": " + events.status().message());
    auto report = must(env->ledger->import_revenue(*events, cli_actor()));
    std::cout << "imported " << report.added << " revenue events (" << report.unchanged << " already recorded, "
              << report.adjustments << " late for a closed period)\n";
  });
}

void add_settle(CLI::App& group, Cli& cli, std::shared_ptr<LedgerArgs> args) {
  struct Opts {
    std::string period;
    std::string out;
    bool close = false;
  };
  auto opts = std::make_shared<Opts>();
  auto* cmd = group.add_subcommand("settle", "Settle a period: each partner's share of each revenue pool");
  cmd->add_option("--period", opts->period, "YYYY-MM")->required();
  cmd->add_option("--out", opts->out, "Write <period>-<partner>.json and .csv statements into this folder");
  cmd->add_flag("--close", opts->close, "Close the period: its statements become immutable (audited)");
  cmd->callback([&cli, args, opts] {
    const ledger::Period period = period_arg(opts->period);
    auto env = open_ledger(cli, *args);
    const auto bar = progress_bar("settle " + period.to_string());
    auto settlement = must(opts->close ? env->ledger->close(period, cli_actor(), bar) : env->ledger->settle(period, bar));
    if (!opts->out.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(opts->out, ec);
      if (ec) fail("cannot create " + opts->out + ": " + ec.message());
      for (const auto& s : settlement.statements) {
        const auto base = std::filesystem::path(opts->out) / (period.to_string() + "-" + s.partner);
        write_file(base.string() + ".json", s.json + "\n");
        write_file(base.string() + ".csv", s.csv);
      }
    }
    std::cout << "period " << period.to_string() << " (" << (settlement.closed ? "closed" : "open") << ")\n";
    for (const auto& s : settlement.statements) {
      const boost::json::value v = boost::json::parse(s.json);
      std::string totals;
      for (const auto& t : v.at("totals").as_array()) {
        totals += (totals.empty() ? "" : ", ") + std::string(t.at("amount").as_string()) + " " +
                  std::string(t.at("currency").as_string());
      }
      std::cout << "  " << s.partner << "  " << (totals.empty() ? "nothing" : totals) << "\n";
      const size_t unpriced = v.at("unpriced").as_array().size();
      const int64_t outliers = v.at("outlier_records").as_int64();
      if (unpriced > 0 || outliers > 0) {
        std::cout << "    to review: " << unpriced << " unpriced usage rows, " << outliers
                  << " records with token claims at the bound\n";
      }
    }
  });
}

void add_statement(CLI::App& group, Cli& cli, std::shared_ptr<LedgerArgs> args) {
  struct Opts {
    std::string period;
    std::string partner;
    bool csv = false;
  };
  auto opts = std::make_shared<Opts>();
  auto* cmd = group.add_subcommand("statement", "Print one partner's statement of a period (JSON, or CSV)");
  cmd->add_option("--period", opts->period, "YYYY-MM")->required();
  cmd->add_option("--partner", opts->partner, "Partner id")->required();
  cmd->add_flag("--csv", opts->csv, "One CSV row per revenue pool instead of the JSON evidence");
  cmd->callback([&cli, args, opts] {
    const ledger::Period period = period_arg(opts->period);
    auto env = open_ledger(cli, *args);
    auto statement = must(env->ledger->statement(period, opts->partner));
    std::cout << (opts->csv ? statement.csv : statement.json + "\n");
  });
}

void add_usage(CLI::App& group, Cli& cli, std::shared_ptr<LedgerArgs> args) {
  auto period_text = std::make_shared<std::string>();
  auto* cmd = group.add_subcommand("usage", "Metered usage of a period per feature, market, region, provider, model");
  cmd->add_option("--period", *period_text, "YYYY-MM")->required();
  cmd->callback([&cli, args, period_text] {
    const ledger::Period period = period_arg(*period_text);
    auto env = open_ledger(cli, *args);
    auto summary = must(env->ledger->usage(period, progress_bar("usage " + period.to_string())));
    std::cout << "feature,market,region,provider,model,records,served,prompt_tokens,cached_tokens,completion_tokens,"
                 "reasoning_tokens,tool_calls,cost\n";
    for (const auto& [k, t] : summary) {
      std::string cost;
      for (const auto& price : env->ledger->config().prices) {
        if (price.provider != k.provider || price.model != k.model) continue;
        cost += (cost.empty() ? "" : " ") + money::format_amount(ledger::cost_minor(t, price), price.currency) + " " +
                price.currency;
      }
      std::cout << k.feature << "," << k.market << "," << k.region << "," << k.provider << "," << k.model << ","
                << t.records << "," << t.served << "," << t.prompt_tokens << "," << t.cached_tokens << ","
                << t.completion_tokens << "," << t.reasoning_tokens << "," << t.tool_calls << "," << cost << "\n";
    }
  });
}

}  // namespace

void add_ledger_commands(CLI::App& app, Cli& cli) {
  auto args = std::make_shared<LedgerArgs>();
  auto* group = app.add_subcommand("ledger", "Metering and revenue-share settlement");
  group->require_subcommand(1);
  group->add_option("--ledger-config", args->ledger_config, "Ledger terms (default: ledger.toml beside the config)");
  auto* revenue = group->add_subcommand("revenue", "Revenue events");
  revenue->require_subcommand(1);
  add_import(*revenue, cli, args);
  add_settle(*group, cli, args);
  add_statement(*group, cli, args);
  add_usage(*group, cli, args);
}

}  // namespace fleetgate::app
