// Test support: the real `fleetgate` binary as a child process. A command runs with its stdout on
// a pipe (read_output); `serve` runs with its output in a log file and counts as started once it
// prints the port it listens on.
#pragma once

#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "fleetgate/core/config.h"
#include "support/round_robin_proxy.h"
#include "support/serve_output.h"
#include "support/test_backend.h"

extern char** environ;

namespace fleetgate::testing {

inline const std::string kFleetgateBinary = FLEETGATE_BINARY_DIR "/src/app/fleetgate";

struct FleetgateProcess {
  pid_t pid = -1;
  FILE* out = nullptr;  // its stdout, when spawned without a log file
};

// Spawns `fleetgate ARGS...`: stdout and stderr appended to `log` when given, else stdout on a pipe
// (stderr stays the test's). pid -1 when the spawn failed (already reported).
inline FleetgateProcess spawn_fleetgate(std::vector<std::string> args, const std::filesystem::path& log = {}) {
  args.insert(args.begin(), kFleetgateBinary);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  int pipe_fds[2] = {-1, -1};
  if (log.empty()) {
    EXPECT_EQ(pipe(pipe_fds), 0);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
    posix_spawn_file_actions_addclose(&actions, pipe_fds[1]);
  } else {
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  }
  FleetgateProcess child;
  const int rc = posix_spawn(&child.pid, kFleetgateBinary.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  EXPECT_EQ(rc, 0) << "cannot spawn " << kFleetgateBinary;
  if (rc != 0) child.pid = -1;
  if (pipe_fds[1] >= 0) close(pipe_fds[1]);
  if (pipe_fds[0] >= 0) child.out = fdopen(pipe_fds[0], "r");
  return child;
}

// Everything the child writes to its stdout pipe until it closes it.
inline std::string read_output(FleetgateProcess& child) {
  std::string text;
  if (child.out == nullptr) return text;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, child.out)) text.append(buf, n);
  std::fclose(child.out);
  child.out = nullptr;
  return text;
}

// Waits for the child to end; its wait status.
inline int wait_for(FleetgateProcess& child) {
  int wstatus = 0;
  EXPECT_EQ(waitpid(child.pid, &wstatus, 0), child.pid);
  child.pid = -1;
  if (child.out != nullptr) std::fclose(child.out);
  child.out = nullptr;
  return wstatus;
}

inline bool exited_zero(int wstatus) { return WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0; }

// What a command printed and how it ended.
struct CommandResult {
  int code = -1;  // exit code; -1 when it did not exit normally
  std::string out, err;
  bool operator==(const CommandResult&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const CommandResult& r) {
  return os << "exit " << r.code << ", stdout [" << r.out << "], stderr [" << r.err << "]";
}

// Runs `fleetgate ARGS...` to its end in folder `cwd` (the test's own when empty), stdout and
// stderr captured apart (stderr through a file, so neither pipe can fill while the other is read).
inline CommandResult run_fleetgate(std::vector<std::string> args, const std::filesystem::path& cwd = {}) {
  args.insert(args.begin(), kFleetgateBinary);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  char err_name[] = "/tmp/fleetgate-stderr-XXXXXX";
  const int err_fd = mkstemp(err_name);
  EXPECT_GE(err_fd, 0);
  unlink(err_name);
  int out_pipe[2] = {-1, -1};
  EXPECT_EQ(pipe(out_pipe), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_fd, STDERR_FILENO);
  posix_spawn_file_actions_addclose(&actions, out_pipe[0]);
  posix_spawn_file_actions_addclose(&actions, out_pipe[1]);
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, kFleetgateBinary.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  CommandResult r;
  EXPECT_EQ(rc, 0) << "cannot spawn " << kFleetgateBinary;
  char buf[4096];
  for (ssize_t n; (n = read(out_pipe[0], buf, sizeof buf)) > 0;) r.out.append(buf, static_cast<size_t>(n));
  close(out_pipe[0]);
  int wstatus = 0;
  if (rc == 0 && waitpid(pid, &wstatus, 0) == pid && WIFEXITED(wstatus)) r.code = WEXITSTATUS(wstatus);
  lseek(err_fd, 0, SEEK_SET);
  for (ssize_t n; (n = read(err_fd, buf, sizeof buf)) > 0;) r.err.append(buf, static_cast<size_t>(n));
  close(err_fd);
  return r;
}

// A running `serve`. A test that fails before stop_serve() must not leave it running: whatever
// still runs when this goes out of scope is killed and reaped. In the distributed mode (the
// suite's "pg." copies) it may be two nodes behind a load balancer (start_serve).
struct Serve {
  Serve(FleetgateProcess p, uint16_t listening) : process(p), port(listening) {}
  Serve(Serve&& o) noexcept
      : process(std::exchange(o.process, {})), port(o.port), peer(std::exchange(o.peer, {})), proxy(std::move(o.proxy)) {}
  Serve& operator=(Serve&&) = delete;
  ~Serve() {
    proxy.reset();
    for (FleetgateProcess* p : {&process, &peer}) {
      if (p->pid <= 0) continue;
      kill(p->pid, SIGKILL);
      waitpid(p->pid, nullptr, 0);
    }
  }
  FleetgateProcess process;
  uint16_t port = 0;  // 0 when it did not start (already reported); the balancer's with two nodes
  FleetgateProcess peer;  // the second node, when there is one
  std::unique_ptr<RoundRobinProxy> proxy;  // in front of both nodes, when there are two
};

// Spawns `fleetgate -c CONFIG serve --port PORT` into `p`, its output appended to `log`, and
// waits (60 s at most) until it prints the port it listens on; that port, or 0 when it exited
// (p.pid is then -1) or did not print one.
inline uint16_t spawn_serve(FleetgateProcess& p, const std::filesystem::path& config, uint16_t port,
                            const std::filesystem::path& log) {
  std::error_code no_log;  // set when the log does not exist yet: then serve's output starts at 0
  const auto logged_before = std::filesystem::file_size(log, no_log);
  const std::streamoff from = no_log ? 0 : static_cast<std::streamoff>(logged_before);
  p = spawn_fleetgate({"-c", config.string(), "serve", "--port", std::to_string(port)}, log);
  for (int i = 0; i < 1200 && p.pid > 0; ++i) {
    std::ifstream in(log);
    in.seekg(from);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (std::optional<uint16_t> bound = serve_port(text)) return *bound;
    if (waitpid(p.pid, nullptr, WNOHANG) == p.pid) {
      p.pid = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return 0;
}

// The config of a second node beside `config` (same folder, so the same ledger terms): its own
// server data dir, whose region folders are links to the first node's, so the two seal and sign
// with the same region keys, as nodes provisioned with one region's secrets do.
inline std::filesystem::path second_node_config(const std::filesystem::path& config) {
  std::ifstream in(config);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string key = "data_dir = \"";
  const size_t at = text.find(key);  // [server] data_dir, the first in the file
  EXPECT_NE(at, std::string::npos) << config << " sets no data_dir";
  if (at == std::string::npos) return config;
  const size_t end = text.find('"', at + key.size());
  const std::filesystem::path first = text.substr(at + key.size(), end - at - key.size());
  const std::filesystem::path second = first.string() + "-node-b";
  text.replace(at + key.size(), end - at - key.size(), second.string());
  std::filesystem::create_directories(first);
  std::filesystem::create_directories(second);
  auto loaded = config::load_config(config);
  EXPECT_TRUE(loaded.is_ok()) << loaded.status().to_string();
  if (loaded.is_ok()) {
    for (const config::Region& r : loaded->regions) {
      std::error_code ec;
      std::filesystem::create_directories(r.data_dir, ec);
      if (!std::filesystem::exists(second / r.id)) std::filesystem::create_directory_symlink(r.data_dir, second / r.id, ec);
      EXPECT_FALSE(ec) << ec.message();
    }
  }
  const std::filesystem::path out = config.parent_path() / (config.stem().string() + ".node-b.toml");
  std::ofstream(out) << text;
  return out;
}

// `fleetgate -c CONFIG serve --port PORT` (0: ephemeral), output appended to `log`; returns once it
// listens, with the port it printed. Waits at most 60 s. In the distributed mode (the suite's
// "pg." copies), on an ephemeral port and unless `one_node`, a second node of the same regions
// and databases starts too (second_node_config, output in `log`.node-b), and the port returned is
// a RoundRobinProxy's in front of both: every test of the suite then runs against two nodes.
inline Serve start_serve(const std::filesystem::path& config, uint16_t port, const std::filesystem::path& log,
                         bool one_node = false) {
  Serve s{{}, 0};
  const uint16_t first = spawn_serve(s.process, config, port, log);
  if (first == 0) {
    ADD_FAILURE() << "fleetgate serve did not start; see " << log;
    return s;
  }
  if (one_node || port != 0 || !suite_on_postgres()) {
    s.port = first;
    return s;
  }
  const std::filesystem::path peer_log = log.string() + ".node-b";
  const uint16_t second = spawn_serve(s.peer, second_node_config(config), 0, peer_log);
  if (second == 0) {
    ADD_FAILURE() << "the second fleetgate serve did not start; see " << peer_log;
    return s;
  }
  s.proxy = std::make_unique<RoundRobinProxy>(std::vector<uint16_t>{first, second});
  s.port = s.proxy->port();
  return s;
}

// Sends `signal` to serve (both nodes, when two) and waits for it: SIGKILL must kill it, any
// other signal must end it cleanly (exit 0).
inline void stop_serve(Serve& s, int signal = SIGTERM) {
  for (FleetgateProcess* p : {&s.process, &s.peer}) {
    if (p->pid <= 0) continue;
    kill(p->pid, signal);
    const int wstatus = wait_for(*p);
    if (signal == SIGKILL) EXPECT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL);
    else EXPECT_TRUE(exited_zero(wstatus)) << "fleetgate serve exited with status " << wstatus;
  }
}

}  // namespace fleetgate::testing
