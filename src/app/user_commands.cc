// `fleetgate user add|list|revoke|token`: people and their roles per region.
#include "fleetgate/app/backend.h"
#include "fleetgate/app/cli.h"

namespace fleetgate::app {
namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ",") + s;
  return out;
}

}  // namespace

void add_user_commands(CLI::App& app, Cli& cli) {
  auto* user = app.add_subcommand("user", "Users, their roles per region, and their API tokens");
  user->require_subcommand(1);

  struct AddArgs {
    std::string name;
    std::vector<std::string> roles, regions;
  };
  auto add_args = std::make_shared<AddArgs>();
  auto* add = user->add_subcommand("add", "Create a user with roles in regions");
  add->add_option("name", add_args->name, "User name, [a-z0-9._-]")->required();
  add->add_option("--role", add_args->roles, "operator, approver, dpo, auditor or admin (repeatable)")->required();
  add->add_option("--region", add_args->regions, "Region id the roles apply in, or '*' for all (repeatable)")->required();
  add->callback([&cli, add_args] {
    Backend& b = backend(cli);
    for (const auto& r : add_args->regions) {
      if (r != "*" && b.loaded().config->region(r) == nullptr) fail("unknown region '" + r + "'");
    }
    ControlPlane& cp = b.control();
    auto u = must(cp.credentials->add_user(add_args->name, add_args->roles, add_args->regions, cli.who()));
    cli.out() << "added " << u.name << ": roles " << join(u.roles) << " in " << join(u.regions) << "\n";
  });

  auto* list = user->add_subcommand("list", "List users");
  list->callback([&cli] {
    ControlPlane& cp = backend(cli).control();
    for (const auto& u : must(cp.credentials->users())) {
      cli.out() << u.name << "\t" << join(u.roles) << "\t" << join(u.regions) << (u.revoked ? "\trevoked" : "") << "\n";
    }
  });

  auto name = std::make_shared<std::string>();
  auto* revoke = user->add_subcommand("revoke", "Revoke a user; all their tokens stop working");
  revoke->add_option("name", *name, "User name")->required();
  revoke->callback([&cli, name] {
    ControlPlane& cp = backend(cli).control();
    Status s = cp.credentials->revoke_user(*name, cli.who());
    if (!s.is_ok()) fail(s);
    cli.out() << "revoked " << *name << "\n";
  });

  auto token_name = std::make_shared<std::string>();
  auto* token = user->add_subcommand("token", "Issue an API token for a user (shown once)");
  token->add_option("name", *token_name, "User name")->required();
  token->callback([&cli, token_name] {
    ControlPlane& cp = backend(cli).control();
    cli.out() << must(cp.credentials->issue_user_token(*token_name, cli.who())) << "\n";
  });
}

}  // namespace fleetgate::app
