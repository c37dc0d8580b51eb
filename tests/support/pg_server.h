// Test support: a throwaway PostgreSQL started by tools/pg-region.sh on a free loopback port and
// a unix socket in its own folder, stopped and removed when this goes out of scope.
#pragma once

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace fleetgate::testing {

// A port nothing listens on now (the kernel's pick for an ephemeral bind).
inline uint16_t free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  uint16_t port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  close(fd);
  return port;
}

class PgServer {
 public:
  PgServer() {
    char name[] = "/tmp/fleetgate-pg-XXXXXX";
    if (mkdtemp(name) == nullptr) {
      ADD_FAILURE() << "mkdtemp failed";
      return;
    }
    root_ = name;
    std::filesystem::permissions(root_, std::filesystem::perms::owner_all | std::filesystem::perms::group_exec |
                                            std::filesystem::perms::others_exec);
    const std::string command = std::string(FLEETGATE_SOURCE_DIR "/tools/pg-region.sh start ") + (root_ / "pg").string() +
                                " " + std::to_string(free_port());
    FILE* p = popen(command.c_str(), "r");
    char buf[512];
    while (p != nullptr && std::fgets(buf, sizeof buf, p) != nullptr) dsn_ += buf;
    const int rc = p == nullptr ? -1 : pclose(p);
    while (!dsn_.empty() && dsn_.back() == '\n') dsn_.pop_back();
    if (rc != 0 || dsn_.empty()) {
      ADD_FAILURE() << "tools/pg-region.sh start failed (" << rc << "); see " << (root_ / "pg" / "postgres.log");
      dsn_.clear();
    }
  }
  ~PgServer() {
    if (root_.empty()) return;
    const std::string command = std::string(FLEETGATE_SOURCE_DIR "/tools/pg-region.sh stop ") + (root_ / "pg").string();
    if (std::system(command.c_str()) != 0) ADD_FAILURE() << "tools/pg-region.sh stop failed";
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  // The libpq connection string; empty when the server did not start (already reported).
  const std::string& dsn() const { return dsn_; }

 private:
  std::filesystem::path root_;
  std::string dsn_;
};

}  // namespace fleetgate::testing
