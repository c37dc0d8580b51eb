// The PostgreSQL control-plane store (store/pg_store.h) when the database fails under it, against
// a real PostgreSQL on loopback: it reconnects on next use after a restart, fails with
// kUnavailable while the database is down, and never reports a write as done when the connection
// broke during its COMMIT.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "fleetgate/store/pg_store.h"
#include "support/pg_server.h"

namespace fleetgate {
namespace {

using store::KvStore;

// A loopback TCP proxy in front of PostgreSQL. Once armed, it passes the next COMMIT a client
// sends on to the server and then closes that client's connection without relaying the answer:
// the change commits, and the client cannot know.
class CommitCutter {
 public:
  explicit CommitCutter(uint16_t upstream) : upstream_(upstream) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a = loopback(0);
    socklen_t len = sizeof a;
    EXPECT_EQ(bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(listen(listener_, 16), 0);
    EXPECT_EQ(getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len), 0);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { relay(); });
  }
  ~CommitCutter() {
    stop_ = true;
    thread_.join();
    for (const Pair& p : pairs_) {
      if (p.client >= 0) close(p.client);
      close(p.server);
    }
    close(listener_);
  }
  CommitCutter(const CommitCutter&) = delete;
  CommitCutter& operator=(const CommitCutter&) = delete;

  uint16_t port() const { return port_; }
  void arm() { armed_ = true; }

 private:
  struct Pair {
    int client = -1;  // -1 once cut: what the server answers is read and dropped
    int server = -1;
  };

  static sockaddr_in loopback(uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    return a;
  }

  // One thread relays every connection, polling 20 ms at a time so that it sees stop_.
  void relay() {
    while (!stop_) {
      std::vector<pollfd> fds{{listener_, POLLIN, 0}};
      for (const Pair& p : pairs_) {
        fds.push_back({p.client, POLLIN, 0});  // a negative fd is skipped by poll
        fds.push_back({p.server, POLLIN, 0});
      }
      if (poll(fds.data(), fds.size(), 20) <= 0) continue;
      if (fds[0].revents != 0) accept_one();
      for (size_t i = 0; i < pairs_.size(); ++i) {
        Pair& p = pairs_[i];
        if (p.server < 0) continue;
        if (fds[1 + 2 * i].revents != 0 && !pass(p, p.client, p.server)) drop(p);
        if (p.server >= 0 && fds[2 + 2 * i].revents != 0 && !pass(p, p.server, p.client)) drop(p);
      }
    }
  }

  void accept_one() {
    Pair p;
    p.client = accept(listener_, nullptr, nullptr);
    p.server = socket(AF_INET, SOCK_STREAM, 0);
    const sockaddr_in a = loopback(upstream_);
    EXPECT_EQ(connect(p.server, reinterpret_cast<const sockaddr*>(&a), sizeof a), 0);
    pairs_.push_back(p);
  }

  // Moves what `from` has to `to` (dropped when `to` is cut); false when `from` closed.
  bool pass(Pair& p, int from, int to) {
    char buf[16384];
    const ssize_t n = read(from, buf, sizeof buf);
    if (n <= 0) return false;
    if (to >= 0 && write(to, buf, static_cast<size_t>(n)) != n) return false;
    if (from == p.client && armed_ && std::string_view(buf, static_cast<size_t>(n)).find("COMMIT") != std::string_view::npos) {
      armed_ = false;
      close(p.client);
      p.client = -1;
    }
    return true;
  }

  void drop(Pair& p) {
    if (p.client >= 0) close(p.client);
    close(p.server);
    p.client = p.server = -1;
  }

  const uint16_t upstream_;
  int listener_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> armed_ = false, stop_ = false;
  std::vector<Pair> pairs_;  // relay thread only
  std::thread thread_;
};

TEST(PgStoreFaults, ReconnectsOnNextUseAfterTheDatabaseRestarted) {
  testing::PgServer pg;
  ASSERT_FALSE(pg.dsn().empty());
  auto db = testing::open_migrated_pg(pg.dsn());
  ASSERT_NE(db, nullptr);
  {
    // Three connections in use at once, then idle in the pool when the server restarts.
    auto held = db->snapshot();
    auto also = db->snapshot();
    ASSERT_TRUE(db->put("before", "1").is_ok());
  }
  ASSERT_TRUE(pg.stop());
  ASSERT_TRUE(pg.start());
  const Status first = db->put("after restart", "2");
  EXPECT_TRUE(first.is_ok()) << "the first write after the restart: " << first.to_string();

  ASSERT_TRUE(pg.stop());
  const Status down = db->put("while down", "3");
  EXPECT_EQ(down.code(), Code::kUnavailable) << down.to_string();
  EXPECT_EQ(db->get("before").status().code(), Code::kUnavailable);
  ASSERT_TRUE(pg.start());
  ASSERT_TRUE(db->put("back", "4").is_ok());
  EXPECT_EQ(db->get("before").value(), "1");
  EXPECT_EQ(db->get("after restart").value(), "2");
  EXPECT_EQ(db->get("while down").status().code(), Code::kNotFound);
}

TEST(PgStoreFaults, AWriteWhoseCommitLostItsConnectionIsNotReportedDone) {
  testing::PgServer pg;
  ASSERT_FALSE(pg.dsn().empty());
  auto direct = testing::open_migrated_pg(pg.dsn());
  ASSERT_NE(direct, nullptr);
  CommitCutter cutter(pg.port());
  auto opened = store::open_pg("host=127.0.0.1 port=" + std::to_string(cutter.port()) + " user=fleetgate dbname=postgres");
  ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
  std::unique_ptr<KvStore> db = std::move(opened).value();
  ASSERT_TRUE(db->put("k", "before").is_ok());

  cutter.arm();
  const Status cut = db->put("k", "cut");
  EXPECT_EQ(cut.code(), Code::kUnavailable) << cut.to_string();
  EXPECT_NE(cut.message().find("whether this change was stored is unknown"), std::string::npos) << cut.to_string();
  // It did commit (the server had the COMMIT), which is why the client must read it back.
  std::string stored;
  for (int i = 0; i < 250 && stored != "cut"; ++i) {
    auto now = direct->get("k");
    stored = now.is_ok() ? *now : now.status().to_string();
    if (stored != "cut") std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(stored, "cut");
  EXPECT_TRUE(db->put("k", "after").is_ok()) << "the store connects again";
  EXPECT_EQ(direct->get("k").value(), "after");
}

}  // namespace
}  // namespace fleetgate
