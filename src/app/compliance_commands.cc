// `fleetgate compliance report --region R --year Y`: the cross-border report of a region
// (transfer/cross_border.h), as a table for people or, with --json, as JSON.
#include <boost/json.hpp>
#include <iomanip>

#include "fleetgate/app/backend.h"
#include "fleetgate/app/cli.h"

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
}

}  // namespace fleetgate::app
