// `fleetgate compliance report --region R --year Y`: the cross-border report of a region
// (transfer/cross_border.h); `fleetgate compliance records --region R`: its record of processing
// activities (processing_records.h); `fleetgate compliance retention`: retention applied now
// (retention.h). Each as text for people or, with --json, as JSON.
#include <boost/json.hpp>
#include <chrono>
#include <iomanip>

#include "fleetgate/app/backend.h"
#include "fleetgate/app/cli.h"
#include "fleetgate/app/processing_records.h"
#include "fleetgate/app/retention.h"
#include "fleetgate/app/time_format.h"

namespace fleetgate::app {
namespace {

namespace json = boost::json;

std::string text(const json::value& v) {
  if (v.is_string()) return std::string(v.as_string());
  return json::serialize(v);
}

void print_table(std::ostream& out, const json::object& r) {
  const json::object& t = r.at("thresholds").as_object();
  out << "Cross-border report, region " << text(r.at("region")) << ", " << text(r.at("year")) << " ("
      << text(r.at("reference")) << ")\n"
      << "thresholds: exempt below " << text(t.at("exempt_below")) << " non-sensitive individuals; assessment above "
      << text(t.at("assessment_above")) << " non-sensitive or " << text(t.at("sensitive_assessment_above"))
      << " sensitive\n\n";
  out << std::left << std::setw(9) << "month" << std::right << std::setw(12) << "general" << std::setw(12) << "sensitive"
      << "  basis needed\n";
  for (const auto& m : r.at("months").as_array()) {
    const json::object& row = m.as_object();
    out << std::left << std::setw(9) << text(row.at("month")) << std::right << std::setw(12) << text(row.at("general"))
        << std::setw(12) << text(row.at("sensitive")) << "  " << text(row.at("basis_needed")) << "\n";
  }
  out << "\nbrackets crossed:";
  for (const auto& c : r.at("brackets_crossed").as_array()) {
    out << " " << text(c.at("month")) << " -> " << text(c.at("basis_needed")) << ";";
  }
  out << "\ntransfers by basis:";
  for (const auto& [basis, n] : r.at("by_basis").as_object()) out << " " << std::string(basis) << " " << text(n) << ";";
  out << "\n";
  for (const auto& tr : r.at("transfers").as_array()) {
    out << "  " << text(tr.at("id")) << "  " << text(tr.at("created")) << "  " << text(tr.at("state")) << "  "
        << text(tr.at("basis_type")) << "  to " << text(tr.at("dest_region")) << "\n";
  }
  out << "refusals: " << r.at("refusals").as_array().size() << "\n";
  for (const auto& f : r.at("refusals").as_array()) {
    out << "  " << text(f.at("time")) << "  " << text(f.at("transfer")) << "  " << text(f.at("step")) << ": "
        << text(f.at("reason")) << "\n";
  }
}

void print_records(std::ostream& out, const json::object& r) {
  out << "Record of processing activities, region " << text(r.at("region")) << " (" << text(r.at("name")) << ")\n"
      << "generated " << text(r.at("generated")) << " from " << text(r.at("config")) << " and the audit chain at entry "
      << text(r.at("audit").at("entries")) << " (head " << text(r.at("audit").at("head")) << ")\n";
  for (const auto& a : r.at("activities").as_array()) {
    const json::object& row = a.as_object();
    out << "\n" << text(row.at("data_class")) << "\n"
        << "  holds:       " << text(row.at("holds")) << "\n"
        << "  stored in:   " << text(row.at("stored_in")) << "\n"
        << "  retention:   " << text(row.at("retention")) << "\n"
        << "  purpose:     " << text(row.at("purpose")) << "\n"
        << "  legal basis: " << text(row.at("legal_basis")) << "\n";
    if (const json::value* to = row.if_contains("recipients")) {
      out << "  recipients: ";
      for (const auto& who : to->as_array()) {
        if (who.is_string()) {
          out << " region " << text(who) << ";";
        } else {
          out << " " << text(who.at("provider")) << " (processes in " << text(who.at("location")) << ", developer in "
              << text(who.at("developer_jurisdiction")) << ");";
        }
      }
      out << "\n";
    }
  }
  for (std::string_view way : {"transfers_out", "transfers_in"}) {
    out << "\n" << (way == "transfers_out" ? "transfers out" : "transfers in") << ": " << r.at(way).as_array().size() << "\n";
    for (const auto& t : r.at(way).as_array()) {
      out << "  " << text(t.at("id")) << "  " << text(t.at("requested")) << "  " << text(t.at("source_region")) << " -> "
          << text(t.at("dest_region")) << "  " << text(t.at("data_class")) << "  " << text(t.at("state")) << "  "
          << text(t.at("purpose")) << "; " << text(t.at("legal_basis")) << "\n";
    }
  }
}

}  // namespace

void add_compliance_commands(CLI::App& app, Cli& cli) {
  auto* group = app.add_subcommand("compliance", "Compliance reports");
  group->require_subcommand(1);
  struct Args {
    std::string region;
    int year = 0;
    bool json = false;
  };
  auto a = std::make_shared<Args>();
  auto* report = group->add_subcommand("report", "A region's cross-border report for a calendar year");
  report->add_option("--region", a->region, "Region with a [[compliance.cross_border]] rule")->required();
  report->add_option("--year", a->year, "Calendar year")->required()->check(CLI::Range(1970, 9999));
  report->add_flag("--json", a->json, "Print JSON instead of the table");
  report->callback([&cli, a] {
    const json::object r = must(backend(cli).transfers().cross_border_report(a->region, a->year));
    if (a->json) {
      cli.out() << json::serialize(r) << "\n";
    } else {
      print_table(cli.out(), r);
    }
  });

  auto* records = group->add_subcommand("records", "A region's record of processing activities, from the config and the audit chain");
  records->add_option("--region", a->region, "A configured region")->required();
  records->add_flag("--json", a->json, "Print JSON instead of text");
  records->callback([&cli, a] {
    Backend& b = backend(cli);
    const config::Config& config = *b.loaded().config;
    const config::Region* region = config.region(a->region);
    if (region == nullptr) fail(not_found("unknown region '" + a->region + "'"));
    const std::vector<transfer::Transfer> transfers = must(b.transfers().list(http::Principal{cli.who(), {}, {"*"}}));
    const audit::AuditLog& audit = *b.control().audit;
    const int64_t now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    const json::object r = processing_records(config, *region, transfers, {audit.size(), audit.head_hash()}, now_ms);
    if (a->json) {
      cli.out() << json::serialize(r) << "\n";
    } else {
      print_records(cli.out(), r);
    }
  });

  auto* retention = group->add_subcommand(
      "retention", "Apply [[compliance.retention]] now in the regions this node serves, and print what was deleted");
  retention->add_flag("--json", a->json, "Print JSON instead of text");
  retention->callback([&cli, a] {
    Backend& b = backend(cli);
    const std::vector<RetentionRun> runs = must(enforce_retention(b, b.control().audit->now_ms()));
    if (a->json) {
      json::array out;
      for (const RetentionRun& r : runs) out.push_back(to_json(r));
      cli.out() << json::serialize(out) << "\n";
      return;
    }
    if (runs.empty()) cli.out() << "no [[compliance.retention]] rule covers a region this node serves\n";
    for (const RetentionRun& r : runs) {
      cli.out() << "region " << r.region << " " << r.data_class << (r.market.empty() ? "" : " of market " + r.market)
                << ": " << r.deleted << " older than " << r.days << " days (before " << format_utc_ms(r.cutoff_ms)
                << ") deleted; " << r.reference << "\n";
    }
  });
}

}  // namespace fleetgate::app
