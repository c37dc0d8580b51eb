// `fleetgate audit verify|tail`: check the hash chain end to end, read its latest entries.
#include "fleetgate/app/backend.h"
#include "fleetgate/app/cli.h"
#include "fleetgate/app/time_format.h"
#include "fleetgate/audit/audit_log.h"
#include "fleetgate/core/json_text.h"

namespace fleetgate::app {
namespace {

void add_verify(CLI::App& audit, Cli& cli) {
  auto* cmd = audit.add_subcommand("verify", "Walk the whole audit chain; exit 0 only when it is intact");
  cmd->callback([&cli] {
    ControlPlane& cp = backend(cli).control();
    auto report = must(cp.audit->verify());
    if (!report.intact()) {
      const std::string where = report.bad_seq ? "first bad entry " + std::to_string(*report.bad_seq) + ": " : "";
      fail("audit chain damaged: " + where + report.problem + " (" + std::to_string(report.entries) +
               " entries intact before it)",
           kExitDataError);
    }
    cli.out() << "audit chain intact: " << report.entries << " entries, head " << report.head_hash << "\n";
  });
}

void add_tail(CLI::App& audit, Cli& cli) {
  struct Args {
    size_t n = 20;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = audit.add_subcommand("tail", "Print the latest audit entries, oldest first");
  cmd->add_option("-n", args->n, "How many entries")->default_val(20);
  cmd->add_flag("--json", args->json, "Print a JSON array of entries (with hashes)");
  cmd->callback([&cli, args] {
    ControlPlane& cp = backend(cli).control();
    auto entries = must(cp.audit->tail(args->n));
    if (args->json) {
      boost::json::array out;
      for (const auto& e : entries) out.push_back(audit::to_json(e));
      cli.out() << json_text(out) << "\n";
      return;
    }
    // Escaped again on output: entries stored before appends escaped them may hold raw controls.
    for (const auto& e : entries) {
      cli.out() << e.seq << "  " << format_utc_ms(e.time_ms) << "  " << audit::escape_controls(e.actor) << "  "
                << audit::escape_controls(e.action) << "  " << (e.subject.empty() ? "-" : audit::escape_controls(e.subject))
                << "  " << (e.region.empty() ? "-" : audit::escape_controls(e.region)) << "  "
                << json_text(e.details) << "\n";
    }
  });
}

}  // namespace

void add_audit_commands(CLI::App& app, Cli& cli) {
  auto* audit = app.add_subcommand("audit", "The hash-chained audit log");
  audit->require_subcommand(1);
  add_verify(*audit, cli);
  add_tail(*audit, cli);
}

}  // namespace fleetgate::app
