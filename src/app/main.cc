// fleetgate: one binary, subcommands per feature (DESIGN.md). A command that needs the data dirs
// while a service holds them runs in that service, over its admin socket (admin_socket.h).
#include <unistd.h>

#include <cstdlib>

#include "fleetgate/app/admin_socket.h"
#include "fleetgate/app/backend.h"
#include "fleetgate/app/cli.h"

int main(int argc, char** argv) {
  using namespace fleetgate::app;
  Cli cli;
  const char* env = std::getenv("FLEETGATE_CONFIG");
  cli.config_path = env != nullptr ? env : "config/fleetgate.toml";
  cli.err_is_terminal = isatty(STDERR_FILENO) == 1;
  const std::vector<std::string> args(argv + 1, argv + argc);
  try {
    return run_command(args, cli);
  } catch (const ServedElsewhere& served) {
    return served.service->run(args);
  }
}
