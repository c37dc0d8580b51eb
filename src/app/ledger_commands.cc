// `fleetgate ledger revenue import|settle|statement|usage`: revenue-share settlement from the
// command line. The terms come from --ledger-config (default: ledger.toml beside the main
// config); usage is read from every region's usage log. Imports and closes are audited with the
// actor "cli:$USER".
#include <fmt/printf.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fleetgate/app/backend.h"
#include "fleetgate/app/cli.h"
#include "fleetgate/core/money.h"
#include "fleetgate/ledger/ledger.h"

namespace fleetgate::app {
namespace {

struct LedgerArgs {
  std::string ledger_config;  // empty: ledger.toml beside the main config
};

// The ledger of the command's backend, under the terms it names.
ledger::Ledger& ledger_of(Cli& cli, const LedgerArgs& args) {
  Backend& b = backend(cli);
  return b.ledger(args.ledger_config.empty() ? std::filesystem::path() : cli.path(args.ledger_config));
}

ledger::Period period_arg(const std::string& text) { return must(ledger::Period::parse(text)); }

// A bar on the command's stderr while the usage logs are scanned, only when that is a terminal.
ledger::Progress progress_bar(const Cli& cli, const std::string& label) {
  if (!cli.err_is_terminal) return {};
  return [&cli, label](double fraction) {
    const int width = 40;
    const int filled = static_cast<int>(fraction * width);
    cli.err() << fmt::sprintf("\r%s [%s%s] %3d%%", label, std::string(static_cast<size_t>(filled), '#'),
                              std::string(static_cast<size_t>(width - filled), '.'), static_cast<int>(fraction * 100));
    if (fraction >= 1.0) cli.err() << "\n";
    cli.err().flush();
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
    std::ifstream in(cli.path(*file), std::ios::binary);
    if (!in) fail(*file + ": cannot open");
    std::stringstream text;
    text << in.rdbuf();
    ledger::Ledger& ledger = ledger_of(cli, *args);
    auto events = ledger::parse_revenue_csv(text.str(), ledger.config());
    if (!events.is_ok()) fail(*file + ": " + events.status().message());
    auto report = must(ledger.import_revenue(*events, cli.who()));
    cli.out() << "imported " << report.added << " revenue events (" << report.unchanged << " already recorded, "
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
    ledger::Ledger& ledger = ledger_of(cli, *args);
    const auto bar = progress_bar(cli, "settle " + period.to_string());
    auto settlement = must(opts->close ? ledger.close(period, cli.who(), bar) : ledger.settle(period, bar));
    if (!opts->out.empty()) {
      const std::filesystem::path dir = cli.path(opts->out);
      std::error_code ec;
      std::filesystem::create_directories(dir, ec);
      if (ec) fail("cannot create " + opts->out + ": " + ec.message());
      for (const auto& s : settlement.statements) {
        const auto base = dir / (period.to_string() + "-" + s.partner);
        write_file(base.string() + ".json", s.json + "\n");
        write_file(base.string() + ".csv", s.csv);
      }
    }
    cli.out() << "period " << period.to_string() << " (" << (settlement.closed ? "closed" : "open") << ")\n";
    for (const auto& s : settlement.statements) {
      const boost::json::value v = boost::json::parse(s.json);
      std::string totals;
      for (const auto& t : v.at("totals").as_array()) {
        totals += (totals.empty() ? "" : ", ") + std::string(t.at("amount").as_string()) + " " +
                  std::string(t.at("currency").as_string());
      }
      cli.out() << "  " << s.partner << "  " << (totals.empty() ? "nothing" : totals) << "\n";
      const size_t unpriced = v.at("unpriced").as_array().size();
      const int64_t outliers = v.at("outlier_records").as_int64();
      if (unpriced > 0 || outliers > 0) {
        cli.out() << "    to review: " << unpriced << " unpriced usage rows, " << outliers
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
    auto statement = must(ledger_of(cli, *args).statement(period, opts->partner));
    cli.out() << (opts->csv ? statement.csv : statement.json + "\n");
  });
}

void add_usage(CLI::App& group, Cli& cli, std::shared_ptr<LedgerArgs> args) {
  auto period_text = std::make_shared<std::string>();
  auto* cmd = group.add_subcommand("usage", "Metered usage of a period per feature, market, region, provider, model");
  cmd->add_option("--period", *period_text, "YYYY-MM")->required();
  cmd->callback([&cli, args, period_text] {
    const ledger::Period period = period_arg(*period_text);
    ledger::Ledger& ledger = ledger_of(cli, *args);
    auto summary = must(ledger.usage(period, progress_bar(cli, "usage " + period.to_string())));
    cli.out() << "feature,market,region,provider,model,records,served,prompt_tokens,cached_tokens,completion_tokens,"
                 "reasoning_tokens,tool_calls,cost\n";
    for (const auto& [k, t] : summary) {
      std::string cost;
      for (const auto& price : ledger.config().prices) {
        if (price.provider != k.provider || price.model != k.model) continue;
        cost += (cost.empty() ? "" : " ") + money::format_amount(ledger::cost_minor(t, price), price.currency) + " " +
                price.currency;
      }
      cli.out() << k.feature << "," << k.market << "," << k.region << "," << k.provider << "," << k.model << ","
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
