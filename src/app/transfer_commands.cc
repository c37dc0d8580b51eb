// `fleetgate transfer request|approve|reject|list|show|export|verify|import|public-key|put-artifact`:
// cross-border transfers from the command line. People act as a registered user (--as NAME,
// default $USER) with that user's roles and regions; exports and imports are audited with the
// actor "cli:$USER". Through the running service when one serves: then the default user and the
// actor are the calling account.
#include <fmt/printf.h>

#include <boost/json/serialize.hpp>
#include <fstream>
#include <sstream>

#include "fleetgate/app/backend.h"
#include "fleetgate/app/cli.h"
#include "fleetgate/app/time_format.h"
#include "fleetgate/ledger/period.h"
#include "fleetgate/transfer/transfer_service.h"

namespace fleetgate::app {
namespace {

namespace fs = std::filesystem;

// The registered, active user `as` (default: the account the command runs for, as in its audit
// actor) as the principal the service checks.
http::Principal acting_user(Cli& cli, const std::string& as) {
  const std::string name = as.empty() ? cli.who().substr(std::string_view("cli:").size()) : as;
  auto user = backend(cli).control().credentials->user(name);
  if (!user.is_ok()) fail("acting user '" + name + "': " + user.status().message() + " (pass --as NAME)");
  if (user->revoked) fail("acting user '" + name + "' is revoked");
  return http::Principal{user->name, user->roles, user->regions};
}

int64_t time_arg(const std::string& text, const std::string& option) {
  auto t = ledger::parse_utc_time(text);
  if (!t.is_ok()) fail(option + ": " + t.status().message());
  return *t;
}

std::string read_whole_file(const Cli& cli, const std::string& path) {
  std::ifstream in(cli.path(path), std::ios::binary);
  if (!in) fail(path + ": cannot open");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A line on the command's stderr while records are read, when that is a terminal.
transfer::Progress progress_line(const Cli& cli, const std::string& id) {
  if (!cli.err_is_terminal) return {};
  return [&cli, id](uint64_t done, uint64_t total) {
    cli.err() << fmt::sprintf("\rexport %s: %llu/%llu records read", id, static_cast<unsigned long long>(done),
                              static_cast<unsigned long long>(total));
    if (done >= total) cli.err() << "\n";
    cli.err().flush();
  };
}

void print_summary(std::ostream& out, const transfer::Transfer& t) {
  const auto& r = t.request;
  out << t.id << "  " << transfer::to_string(t.state) << "  " << r.source_region << "->" << r.dest_region << "  "
            << residency::to_string(r.data_class) << "  by " << t.requester << "  approvals " << t.approvals.size()
            << "  expires " << format_utc_ms(r.expires_at_ms) << "\n";
}

void print_manifest(std::ostream& out, const transfer::Manifest& m) {
  out << "bundle of transfer " << m.transfer_id << " verified: " << m.source_region << " -> " << m.dest_region
            << ", " << m.data_class;
  if (m.artifact.empty()) {
    out << ", " << m.records << " records of " << m.vehicles << " vehicles (" << m.suppressed << " suppressed), fields ";
    for (size_t i = 0; i < m.fields.size(); ++i) out << (i ? "," : "") << m.fields[i];
  } else {
    out << ", artifact " << m.artifact;
  }
  out << "\n";
}

void add_request(CLI::App& group, Cli& cli) {
  struct Args {
    std::string as;  // empty: the calling account
    std::string from_region, to_region, data_class = "desensitised", from, to, artifact, purpose, legal_basis,
                basis_type, assessment_ref;
    std::vector<std::string> fields, vins;
    uint32_t min_group_size = 0;
    int expires_in_days = 7;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = group.add_subcommand("request", "Request a transfer; prints its id");
  cmd->add_option("--as", a->as, "Acting user (default $USER)");
  cmd->add_option("--source", a->from_region, "Source region")->required();
  cmd->add_option("--dest", a->to_region, "Destination region")->required();
  cmd->add_option("--class", a->data_class, "desensitised or model.weights")->capture_default_str();
  cmd->add_option("--field", a->fields, "Telemetry field to export (repeatable; desensitised)");
  cmd->add_option("--from", a->from, "Selection start, YYYY-MM-DD or RFC 3339 UTC (desensitised)");
  cmd->add_option("--to", a->to, "Selection end, inclusive (desensitised)");
  cmd->add_option("--vin", a->vins, "Only this vehicle (repeatable; default every vehicle of the source)");
  cmd->add_option("--min-group-size", a->min_group_size, "Drop location/time groups of fewer vehicles (k)");
  cmd->add_option("--artifact", a->artifact, "Artifact name in the source region (model.weights)");
  cmd->add_option("--purpose", a->purpose, "Why the data must cross")->required();
  cmd->add_option("--legal-basis", a->legal_basis, "Legal basis of the transfer")->required();
  cmd->add_option("--basis-type", a->basis_type,
                  "Kind of the legal basis, where a cross-border rule applies: none, standard_contract, "
                  "certification or security_assessment");
  cmd->add_option("--assessment-ref", a->assessment_ref, "Security assessment reference")->required();
  cmd->add_option("--expires-in-days", a->expires_in_days, "Unexported after this many days, it expires")
      ->check(CLI::Range(1, 366))
      ->capture_default_str();
  cmd->callback([&cli, a] {
    Backend& b = backend(cli);
    transfer::TransferRequest req;
    req.source_region = a->from_region;
    req.dest_region = a->to_region;
    req.data_class = must(residency::parse_data_class(a->data_class));
    req.fields = a->fields;
    if (!a->from.empty()) req.selection.from_ms = time_arg(a->from, "--from");
    if (!a->to.empty()) req.selection.to_ms = time_arg(a->to, "--to");
    req.selection.vins = a->vins;
    req.min_group_size = a->min_group_size;
    req.artifact = a->artifact;
    req.purpose = a->purpose;
    req.legal_basis = a->legal_basis;
    req.basis_type = a->basis_type;
    req.assessment_ref = a->assessment_ref;
    req.expires_at_ms = b.control().audit->now_ms() + int64_t{a->expires_in_days} * 86'400'000;
    const std::string id = must(b.transfers().request(acting_user(cli, a->as), std::move(req)));
    cli.out() << id << "\n";
  });
}

void add_decision(CLI::App& group, Cli& cli, bool approving) {
  struct Args {
    std::string as;  // empty: the calling account
    std::string id, reason;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = group.add_subcommand(approving ? "approve" : "reject",
                                   approving ? "Approve a transfer (two people, one a dpo)" : "Reject a transfer");
  cmd->add_option("ID", a->id, "Transfer id")->required();
  cmd->add_option("--as", a->as, "Acting user (default $USER)");
  if (!approving) cmd->add_option("--reason", a->reason, "Why")->required();
  cmd->callback([&cli, a, approving] {
    transfer::TransferService& transfers = backend(cli).transfers();
    const http::Principal who = acting_user(cli, a->as);
    Status s = approving ? transfers.approve(who, a->id) : transfers.reject(who, a->id, a->reason);
    if (!s.is_ok()) fail(s);
    print_summary(cli.out(), must(transfers.get(a->id)));
  });
}

void add_list_show(CLI::App& group, Cli& cli) {
  auto as = std::make_shared<std::string>();
  auto* list = group.add_subcommand("list", "List transfers (all, or those --as USER may see)");
  list->add_option("--as", *as, "Only transfers from or to this user's regions");
  list->callback([&cli, as] {
    transfer::TransferService& transfers = backend(cli).transfers();
    const http::Principal who = as->empty() ? http::Principal{cli.who(), {}, {"*"}} : acting_user(cli, *as);
    for (const auto& t : must(transfers.list(who))) print_summary(cli.out(), t);
  });

  auto id = std::make_shared<std::string>();
  auto* show = group.add_subcommand("show", "Print one transfer as JSON");
  show->add_option("ID", *id, "Transfer id")->required();
  show->callback([&cli, id] {
    transfer::TransferService& transfers = backend(cli).transfers();
    cli.out() << boost::json::serialize(transfer::to_json(must(transfers.get(*id)))) << "\n";
  });
}

void add_export(CLI::App& group, Cli& cli) {
  struct Args {
    std::string id, out = ".";
  };
  auto a = std::make_shared<Args>();
  auto* cmd = group.add_subcommand("export", "Write the signed bundle of an approved transfer to OUT/<id>");
  cmd->add_option("ID", a->id, "Transfer id")->required();
  cmd->add_option("--out", a->out, "Folder for the bundle")->capture_default_str();
  cmd->callback([&cli, a] {
    transfer::TransferService& transfers = backend(cli).transfers();
    const fs::path bundle = must(transfers.export_bundle(a->id, cli.path(a->out), cli.who(), progress_line(cli, a->id)));
    print_manifest(cli.out(), must(transfers.verify_bundle(bundle)));
    cli.out() << (fs::path(a->out) / bundle.filename()).string() << "\n";  // as the caller named the folder
  });
}

void add_verify_import(CLI::App& group, Cli& cli) {
  auto bundle = std::make_shared<std::string>();
  auto* verify = group.add_subcommand("verify", "Check a bundle's signature and file hashes");
  verify->add_option("BUNDLE", *bundle, "Bundle directory")->required();
  verify->callback([&cli, bundle] {
    transfer::TransferService& transfers = backend(cli).transfers();
    print_manifest(cli.out(), must(transfers.verify_bundle(cli.path(*bundle))));
  });

  struct Args {
    std::string bundle, region;
  };
  auto a = std::make_shared<Args>();
  auto* import = group.add_subcommand("import", "Store a verified, approved bundle in its destination region");
  import->add_option("BUNDLE", a->bundle, "Bundle directory")->required();
  import->add_option("--region", a->region, "Destination region")->required();
  import->callback([&cli, a] {
    transfer::TransferService& transfers = backend(cli).transfers();
    auto result = must(transfers.import_bundle(cli.path(a->bundle), a->region, cli.who()));
    cli.out() << "imported transfer " << result.manifest.transfer_id << " into " << a->region << ": "
              << (result.artifact.empty() ? std::to_string(result.records) + " records"
                                          : std::to_string(result.artifact.size()) + " artifact bytes")
              << "\n";
  });
}

void add_keys_and_artifacts(CLI::App& group, Cli& cli) {
  auto region = std::make_shared<std::string>();
  auto* key = group.add_subcommand("public-key", "Print the PEM public key a region signs its bundles with");
  key->add_option("--region", *region, "Region id")->required();
  key->callback([&cli, region] {
    transfer::TransferService& transfers = backend(cli).transfers();
    cli.out() << must(transfers.public_key(*region));
  });

  struct Args {
    std::string region, name, file;
  };
  auto a = std::make_shared<Args>();
  auto* put = group.add_subcommand("put-artifact", "Store a model artifact (e.g. weights) in a region");
  put->add_option("--region", a->region, "Region id")->required();
  put->add_option("--name", a->name, "Artifact name, [A-Za-z0-9._-]")->required();
  put->add_option("FILE", a->file, "File holding the artifact")->required();
  put->callback([&cli, a] {
    transfer::TransferService& transfers = backend(cli).transfers();
    const std::string bytes = read_whole_file(cli, a->file);
    Status s = transfers.put_artifact(a->region, a->name, bytes);
    if (!s.is_ok()) fail(s);
    cli.out() << "stored artifact " << a->name << " (" << bytes.size() << " bytes) in " << a->region << "\n";
  });
}

}  // namespace

void add_transfer_commands(CLI::App& app, Cli& cli) {
  auto* group = app.add_subcommand("transfer", "Cross-border transfers: requests, approvals, signed bundles");
  group->require_subcommand(1);
  add_request(*group, cli);
  add_decision(*group, cli, true);
  add_decision(*group, cli, false);
  add_list_show(*group, cli);
  add_export(*group, cli);
  add_verify_import(*group, cli);
  add_keys_and_artifacts(*group, cli);
}

}  // namespace fleetgate::app
