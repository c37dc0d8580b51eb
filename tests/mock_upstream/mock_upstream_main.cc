// mock-upstream: runs one MockUpstream until SIGINT/SIGTERM, for scripts and manual testing.
// Prints "mock-upstream IDENTITY (LOCATION) listening on http[s]://127.0.0.1:PORT" once ready.
#include <csignal>
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>

#include "mock_upstream/mock_upstream.h"

int main(int argc, char** argv) {
  CLI::App app{"OpenAI-compatible mock upstream on loopback"};
  fleetgate::mock::MockOptions options;
  std::string scenario;
  app.add_option("--identity", options.identity, "name recorded with every request and returned as mock_identity");
  app.add_option("--location", options.location, "region the mock pretends to process data in");
  app.add_option("--port", options.port, "port on 127.0.0.1 (0: any free port)");
  app.add_option("--scenario", scenario, "default behaviour, e.g. \"status=503;retry_after=1\"");
  app.add_option("--model", options.models, "model listed by GET /v1/models (repeatable)");
  app.add_option("--api-key", options.expected_api_key, "answer 401 unless this bearer token is sent");
  app.add_option("--tls-cert", options.tls_cert, "PEM certificate chain: serve HTTPS (with --tls-key)");
  app.add_option("--tls-key", options.tls_key, "PEM private key of --tls-cert");
  CLI11_PARSE(app, argc, argv);
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    std::cerr << "mock-upstream: --tls-cert and --tls-key go together\n";
    return 2;
  }

  auto parsed = fleetgate::mock::parse_scenario(scenario);
  if (!parsed) {
    std::cerr << "mock-upstream: " << parsed.status().message() << "\n";
    return 2;
  }
  options.scenario = std::move(parsed).value();

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before the server thread starts: it inherits the mask

  auto mock = fleetgate::mock::MockUpstream::start(options);
  if (!mock) {
    std::cerr << "mock-upstream: " << mock.status().message() << "\n";
    return 1;
  }
  std::cout << "mock-upstream " << options.identity << " (" << options.location << ") listening on "
            << (*mock)->base_url() << std::endl;
  int received = 0;
  sigwait(&signals, &received);
  return 0;
}
