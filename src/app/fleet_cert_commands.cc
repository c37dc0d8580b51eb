// `fleetgate fleet ca|cert|revoke-cert|server-cert`: the fleet CA (created at first use under
// <server.data_dir>/fleet-ca, key 0600) and the certificates it issues for mTLS: a vehicle's
// client certificate (CN = VIN), its revocation by serial, and a server certificate for demos.
// Issuance and revocation are audited with the actor "cli:$USER" (run by the service when it
// serves); `fleet ca` only reads (or creates) the CA and runs in the calling process.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <utility>

#include "fleetgate/access/certificate_issuer.h"
#include "fleetgate/access/fleet_ca.h"
#include "fleetgate/app/backend.h"
#include "fleetgate/app/cli.h"
#include "fleetgate/app/time_format.h"

namespace fleetgate::app {
namespace {

access::Validity days(int n) { return access::Validity{std::chrono::seconds(-300), std::chrono::hours(24) * n}; }

void print_issued(std::ostream& out, const access::IssuedCertificate& c, const std::filesystem::path& dir, const std::string& name) {
  out << "wrote " << (dir / (name + ".crt")).string() << " and " << (dir / (name + ".key")).string()
            << " (mode 0600)\n  subject " << c.subject << "\n  serial  " << c.serial << "\n  expires "
            << format_utc_ms(c.not_after_ms) << "\n";
}

void add_ca(CLI::App& fleet, Cli& cli) {
  auto out = std::make_shared<std::string>();
  auto* cmd = fleet.add_subcommand("ca", "Print the fleet CA certificate (creating the CA at first use)");
  cmd->add_option("--out", *out, "Write the PEM certificate to this file instead of stdout");
  cmd->callback([&cli, out] {
    LoadedConfig loaded = must(load(cli.config_path));
    access::FleetCa ca = must(access::FleetCa::open_or_create(access::fleet_ca_dir(*loaded.config)));
    if (out->empty()) {
      cli.out() << ca.certificate_pem();
      return;
    }
    // Like `fleet cert --out DIR`, the folder is created: the README's data/tls/ does not exist yet.
    const std::filesystem::path file_path = cli.path(*out);
    const std::filesystem::path parent = file_path.parent_path();
    std::error_code ec;
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    if (ec) fail("cannot create " + parent.string() + ": " + ec.message(), kExitUnavailable);
    std::ofstream file(file_path, std::ios::trunc);
    file << ca.certificate_pem();
    file.close();
    if (!file) fail("cannot write " + *out);
    cli.out() << "wrote " << *out << " (" << ca.subject() << ")\n";
  });
}

// Opens the control plane and the fleet CA, lets `issue` issue a certificate and name its files,
// then writes NAME.crt and NAME.key (0600) into `out` and prints what was issued.
template <typename Issue>
void issue_to_files(Cli& cli, const std::string& out, Issue issue) {
  Backend& b = backend(cli);
  ControlPlane& cp = b.control();
  access::FleetCa ca = must(access::FleetCa::open_or_create(access::fleet_ca_dir(*b.loaded().config)));
  access::CertificateIssuer issuer(ca, *cp.registry, *cp.audit);
  const auto [certificate, name] = issue(issuer, cp);
  const std::filesystem::path dir = cli.path(out);
  if (Status s = access::write_certificate_files(certificate, dir, name); !s.is_ok()) fail(s);
  print_issued(cli.out(), certificate, out, name);  // as the caller named it
}

void add_cert(CLI::App& fleet, Cli& cli) {
  struct Args {
    std::string vin, out;
    int days = access::kDefaultCertificateDays;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = fleet.add_subcommand("cert", "Issue a registered vehicle's client certificate (CN = VIN) for mTLS");
  cmd->add_option("vin", args->vin, "VIN of a registered vehicle")->required();
  cmd->add_option("--out", args->out, "Directory for VIN.crt and VIN.key")->required();
  cmd->add_option("--days", args->days, "Validity in days")->check(CLI::Range(1, 3650))->capture_default_str();
  cmd->callback([&cli, args] {
    issue_to_files(cli, args->out, [&](access::CertificateIssuer& issuer, const ControlPlane& cp) {
      return std::pair{must(issuer.issue_vehicle(args->vin, cli.who(), days(args->days))),
                       must(cp.registry->show(args->vin)).vin};
    });
  });
}

void add_revoke_cert(CLI::App& fleet, Cli& cli) {
  struct Args {
    std::string vin, serial;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = fleet.add_subcommand("revoke-cert", "Revoke a vehicle's client certificate by serial (refused from then on)");
  cmd->add_option("vin", args->vin, "VIN of the registered vehicle the certificate was issued to")->required();
  cmd->add_option("serial", args->serial, "Serial of the certificate, hex as `fleet cert` printed it")->required();
  cmd->callback([&cli, args] {
    ControlPlane& cp = backend(cli).control();
    const vehicle::VehicleRecord v = must(cp.registry->show(args->vin));
    const std::string serial = must(cp.revocations->revoke(args->serial, v.vin, v.region, cli.who()));
    cli.out() << "revoked certificate " << serial << " of " << v.vin << " (" << v.region << ")\n";
  });
}

void add_server_cert(CLI::App& fleet, Cli& cli) {
  struct Args {
    std::vector<std::string> hosts;
    std::string out, name = "server";
    int days = access::kDefaultCertificateDays;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = fleet.add_subcommand("server-cert", "Issue a server certificate from the fleet CA (for demos and tests)");
  cmd->add_option("--host", args->hosts, "DNS name or IP address (repeatable; the first is the CN)")->required();
  cmd->add_option("--out", args->out, "Directory for NAME.crt and NAME.key")->required();
  cmd->add_option("--name", args->name, "File name stem")->capture_default_str();
  cmd->add_option("--days", args->days, "Validity in days")->check(CLI::Range(1, 3650))->capture_default_str();
  cmd->callback([&cli, args] {
    issue_to_files(cli, args->out, [&](access::CertificateIssuer& issuer, const ControlPlane&) {
      return std::pair{must(issuer.issue_server(args->hosts, cli.who(), days(args->days))), args->name};
    });
  });
}

}  // namespace

void add_fleet_cert_commands(CLI::App& app, Cli& cli) {
  CLI::App* fleet = app.get_subcommand("fleet");
  add_ca(*fleet, cli);
  add_cert(*fleet, cli);
  add_revoke_cert(*fleet, cli);
  add_server_cert(*fleet, cli);
}

}  // namespace fleetgate::app
