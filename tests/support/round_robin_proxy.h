// Test support: a TCP load balancer on loopback in front of several nodes of one service, as an
// L4 balancer would run: each accepted connection goes to the next node in turn, and its bytes are
// relayed both ways until either side closes. A WebSocket or keep-alive connection therefore
// stays on one node, and consecutive connections alternate. Stops (closing every connection) when
// destroyed.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

namespace fleetgate::testing {

class RoundRobinProxy {
 public:
  // Listens on an ephemeral loopback port (port() == 0 when that failed).
  explicit RoundRobinProxy(std::vector<uint16_t> backends) : backends_(std::move(backends)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listener_, 512) != 0 || ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      return;
    }
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  RoundRobinProxy(const RoundRobinProxy&) = delete;
  RoundRobinProxy& operator=(const RoundRobinProxy&) = delete;
  ~RoundRobinProxy() {
    stop_ = true;
    if (listener_ >= 0) ::shutdown(listener_, SHUT_RDWR);
    if (acceptor_.joinable()) acceptor_.join();
    if (listener_ >= 0) ::close(listener_);
    std::lock_guard lock(mu_);
    for (Link& l : links_) {
      ::shutdown(l.client, SHUT_RDWR);
      ::shutdown(l.node, SHUT_RDWR);
    }
    for (Link& l : links_) {
      if (l.relay.joinable()) l.relay.join();
      ::close(l.client);
      ::close(l.node);
    }
  }

  uint16_t port() const { return port_; }

 private:
  struct Link {
    int client = -1;
    int node = -1;
    std::thread relay;
  };

  void accept_loop() {
    for (size_t next = 0; !stop_; ++next) {
      const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) {
        if (stop_ || (errno != EINTR && errno != ECONNABORTED)) return;
        continue;
      }
      const int node = connect_to(backends_[next % backends_.size()]);
      if (node < 0) {
        ::close(client);  // as a balancer with a dead node: the client sees the connection reset
        continue;
      }
      std::lock_guard lock(mu_);
      Link& l = links_.emplace_back();
      l.client = client;
      l.node = node;
      l.relay = std::thread([client, node] { relay(client, node); });
    }
  }

  static int connect_to(uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      if (fd >= 0) ::close(fd);
      return -1;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
  }

  // Copies bytes both ways until one side closes or fails, then ends both directions.
  static void relay(int a, int b) {
    const int one = 1;
    ::setsockopt(a, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    pollfd fds[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
    char buf[65536];
    bool open[2] = {true, true};  // whether each side may still send to us
    while (open[0] || open[1]) {
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        break;
      }
      bool failed = false;
      for (int i = 0; i < 2; ++i) {
        if (!open[i] || fds[i].revents == 0) continue;
        const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
        if (n <= 0) {  // end of one direction: pass it on, keep the other
          open[i] = false;
          fds[i].events = 0;
          ::shutdown(fds[1 - i].fd, SHUT_WR);
          failed = n < 0;
          continue;
        }
        for (ssize_t sent = 0; sent < n;) {
          const ssize_t w = ::write(fds[1 - i].fd, buf + sent, static_cast<size_t>(n - sent));
          if (w <= 0) {
            failed = true;
            break;
          }
          sent += w;
        }
      }
      if (failed) break;
    }
    ::shutdown(a, SHUT_RDWR);
    ::shutdown(b, SHUT_RDWR);
  }

  const std::vector<uint16_t> backends_;
  int listener_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_ = false;
  std::thread acceptor_;
  std::mutex mu_;
  std::list<Link> links_;  // every connection relayed; closed when the proxy stops
};

}  // namespace fleetgate::testing
