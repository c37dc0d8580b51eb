// Test support: one region's throwaway 3-node JetStream cluster, started by tools/nats-region.sh
// on free loopback ports in its own folder, stopped and removed when this goes out of scope.
// kill() and start_one() SIGKILL and restart one server, for fault tests.
#pragma once

#include <gtest/gtest.h>

#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace fleetgate::testing {

class NatsRegion {
 public:
  explicit NatsRegion(const std::string& region) {
    char name[] = "/tmp/fleetgate-nats-XXXXXX";
    if (mkdtemp(name) == nullptr) {
      ADD_FAILURE() << "mkdtemp failed";
      return;
    }
    root_ = name;
    FILE* p = popen((script() + " start " + root_.string() + " " + region).c_str(), "r");
    char buf[512];
    while (p != nullptr && std::fgets(buf, sizeof buf, p) != nullptr) urls_ += buf;
    const int rc = p == nullptr ? -1 : pclose(p);
    while (!urls_.empty() && urls_.back() == '\n') urls_.pop_back();
    if (rc != 0 || urls_.empty()) {
      ADD_FAILURE() << "tools/nats-region.sh start failed (" << rc << "); see " << root_ << "/*/nats.log";
      urls_.clear();
    }
  }
  ~NatsRegion() {
    if (root_.empty()) return;
    if (std::system((script() + " stop " + root_.string()).c_str()) != 0) ADD_FAILURE() << "nats-region.sh stop failed";
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  NatsRegion(const NatsRegion&) = delete;
  NatsRegion& operator=(const NatsRegion&) = delete;

  // The client URLs, comma-separated; empty when the cluster did not start (already reported).
  const std::string& urls() const { return urls_; }
  // The folder holding everything its servers write (configs, logs, JetStream stores).
  const std::filesystem::path& dir() const { return root_; }

  // SIGKILLs server `n` (0..2), named <region>-<n>; true when it is gone.
  bool kill(int n) { return run("kill", n); }
  // Starts server `n` again on its store; true when it is up and sees a meta leader.
  bool start_one(int n) { return run("start-one", n); }

 private:
  static std::string script() { return FLEETGATE_SOURCE_DIR "/tools/nats-region.sh"; }
  bool run(const std::string& verb, int n) {
    return std::system((script() + " " + verb + " " + root_.string() + " " + std::to_string(n)).c_str()) == 0;
  }

  std::filesystem::path root_;
  std::string urls_;
};

}  // namespace fleetgate::testing
