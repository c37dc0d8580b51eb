// The admin socket: how the CLI acts through a running service. `serve` listens on a unix-domain
// socket in the server data dir (mode 0600); a CLI process that finds it answering sends its
// command line there instead of opening the data dirs the service holds, and the service runs it
// on its own objects and streams stdout, stderr and the exit code back. Only the service's own
// account and root may connect (file mode, then SO_PEERCRED); each command is audited as
// "cli:<account of the connecting uid>". Both ends are this binary, so the framing is internal.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "fleetgate/core/config.h"
#include "fleetgate/core/result.h"

namespace fleetgate::app {

// <server.data_dir>/admin.sock
std::filesystem::path admin_socket_path(const config::Config& cfg);

// One command line handed to the service.
struct AdminCall {
  std::vector<std::string> args;  // the command line after the program name
  std::filesystem::path cwd;      // the caller's folder: relative paths in `args` mean this
  uid_t uid = 0;                  // the caller's account, from SO_PEERCRED
  bool err_is_terminal = false;   // the caller's stderr is a terminal (progress lines)
};

// Runs `call`, writing to `out` and `err`; returns its exit code.
using CommandRunner = std::function<int(const AdminCall& call, std::ostream& out, std::ostream& err)>;

class AdminSocket {
 public:
  inline static constexpr int kMaxRunning = 16;  // more concurrent commands are refused (exit 69)

  // Takes an exclusive lock on `path`.lock (one service per data dir, in every mode), binds
  // `path` (replacing a stale socket file) and accepts until destroyed. kUnavailable ("in use by
  // another fleetgate process") when another process holds the lock; kInvalidArgument when the
  // path is too long for a unix socket.
  static Result<std::unique_ptr<AdminSocket>> listen(const std::filesystem::path& path, CommandRunner runner);
  // Stops accepting, removes the socket file, and waits for running commands to finish: a command
  // that reached the service runs to its end even when its caller has gone.
  ~AdminSocket();

 private:
  struct Impl;
  explicit AdminSocket(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A CLI process's connection to the admin socket of a running service.
class AdminConnection {
 public:
  // The connection when a service listens at `path`; nullptr when none does (no socket file, or
  // one a killed service left). A socket this account may not use fails the command (exit 77).
  static std::shared_ptr<AdminConnection> open(const std::filesystem::path& path);
  ~AdminConnection();

  // Hands `args` to the service, copies its output to this process's stdout and stderr as it
  // arrives and returns its exit code (69 when the connection breaks before the command ends).
  int run(const std::vector<std::string>& args);

 private:
  struct Impl;
  explicit AdminConnection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace fleetgate::app
