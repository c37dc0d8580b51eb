// `fleetgate telemetry query VIN --as-region R`: a page of a vehicle's records from its home region
// store (through the running service when one serves); when more follow, stderr names the
// --cursor of the next page. The caller states the region they act for; another region than the
// vehicle's home is refused by the residency policy and audited.
#include "fleetgate/app/backend.h"
#include "fleetgate/app/cli.h"
#include "fleetgate/app/time_format.h"
#include "fleetgate/core/json_text.h"
#include "fleetgate/telemetry/catalogue.h"
#include "fleetgate/telemetry/ingest_service.h"
#include "fleetgate/telemetry/json_format.h"

namespace fleetgate::app {
namespace {

std::string show_value(const telemetry::Value& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>) return x;
        else if constexpr (std::is_same_v<T, bool>) return x ? "true" : "false";
        else if constexpr (std::is_same_v<T, telemetry::Location>) return json_number(x.lat) + "," + json_number(x.lon);
        else if constexpr (std::is_same_v<T, double>) return json_number(x);  // to_string keeps 6 decimals
        else return std::to_string(x);
      },
      v);
}

void add_query(CLI::App& telemetry, Cli& cli) {
  struct Args {
    std::string vin, region, fields, cursor;
    int64_t from = INT64_MIN, to = INT64_MAX;
    size_t limit = 100;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = telemetry.add_subcommand("query", "Show a vehicle's telemetry from its home region");
  cmd->add_option("vin", args->vin, "VIN")->required();
  cmd->add_option("--as-region", args->region, "The region you act for (must be the vehicle's home region)")->required();
  cmd->add_option("--from", args->from, "From created_at, ms since the Unix epoch");
  cmd->add_option("--to", args->to, "To created_at, ms since the Unix epoch");
  cmd->add_option("--fields", args->fields, "Comma-separated field names (default: all)");
  cmd->add_option("--limit", args->limit, "At most this many records")->check(CLI::Range(1, 10000));
  cmd->add_option("--cursor", args->cursor, "Continue where the previous page ended (same VIN, --from and --to)");
  cmd->add_flag("--json", args->json, "One JSON record per line");
  cmd->callback([&cli, args] {
    telemetry::IngestService& service = backend(cli).telemetry();
    telemetry::TelemetryQuery q{
        .vin = args->vin, .from_ms = args->from, .to_ms = args->to, .limit = args->limit, .cursor = args->cursor};
    std::string_view rest = args->fields;
    while (!rest.empty()) {
      const std::string_view name = rest.substr(0, rest.find(','));
      rest.remove_prefix(std::min(rest.size(), name.size() + 1));
      const telemetry::FieldSpec* f = telemetry::find_field(name);
      if (f == nullptr) fail("unknown field '" + std::string(name) + "'");
      q.fields.push_back(f->field);
    }
    const http::Principal caller{cli.who(), {"operator"}, {args->region}};
    const telemetry::TelemetryPage page = must(service.query(caller, q));
    for (const telemetry::Record& r : page.records) {
      if (args->json) {
        cli.out() << telemetry::encode_json(r) << "\n";
        continue;
      }
      cli.out() << format_utc_ms(r.created_at_ms) << " seq " << r.seq;
      for (const auto& d : r.data) cli.out() << " " << telemetry::spec(d.field).name << "=" << show_value(d.value);
      cli.out() << "\n";
    }
    if (!page.next_cursor.empty()) cli.err() << "more records: --cursor " << page.next_cursor << "\n";
  });
}

}  // namespace

void add_telemetry_commands(CLI::App& app, Cli& cli) {
  auto* telemetry = app.add_subcommand("telemetry", "Telemetry stored in the regions");
  telemetry->require_subcommand(1);
  add_query(*telemetry, cli);
}

}  // namespace fleetgate::app
