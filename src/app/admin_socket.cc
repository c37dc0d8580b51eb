#include "fleetgate/app/admin_socket.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <array>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <iostream>
#include <mutex>
#include <streambuf>
#include <thread>

#include "fleetgate/app/cli.h"

namespace fleetgate::app {
namespace {

namespace asio = boost::asio;
using local = asio::local::stream_protocol;

// Framing. Request: u32 big-endian length, then a JSON object {"args":[...],"cwd":"...",
// "terminal":bool}. Reply: frames of one kind byte ('o' stdout, 'e' stderr, 'x' exit code as
// decimal text), a u32 big-endian length and the bytes; 'x' is the last.
constexpr uint32_t kMaxRequest = 1 << 20;
constexpr uint32_t kMaxFrame = 1 << 20;
constexpr int kIoTimeoutS = 30;  // a caller that stops reading (or never sends) for this long is dropped

std::array<char, 4> be32(uint32_t n) {
  return {static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8), static_cast<char>(n)};
}

uint32_t from_be32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

// The service's end of one connection: blocking I/O on the descriptor with SO_SNDTIMEO and
// SO_RCVTIMEO (Asio's synchronous calls wait without a bound), writes serialized because a
// command's progress callbacks may run on other threads.
class Connection {
 public:
  explicit Connection(int fd) : fd_(fd) {
    const timeval tv{kIoTimeoutS, 0};
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~Connection() { ::close(fd_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  Result<uid_t> peer_uid() const {
    ucred cred{};
    socklen_t len = sizeof cred;
    if (getsockopt(fd_, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return unavailable(std::string("SO_PEERCRED: ") + std::strerror(errno));
    return cred.uid;
  }

  bool read_exact(char* p, size_t n) {
    while (n > 0) {
      const ssize_t got = ::recv(fd_, p, n, 0);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return false;
      p += got;
      n -= static_cast<size_t>(got);
    }
    return true;
  }

  // Sends one frame; after the caller has gone (or stalled past the timeout) frames are dropped.
  void frame(char kind, std::string_view bytes) {
    std::lock_guard lock(mu_);
    if (broken_) return;
    const auto len = be32(static_cast<uint32_t>(bytes.size()));
    const char head[5] = {kind, len[0], len[1], len[2], len[3]};
    broken_ = !send_all(head, sizeof head) || !send_all(bytes.data(), bytes.size());
  }

 private:
  bool send_all(const char* p, size_t n) {
    while (n > 0) {
      const ssize_t sent = ::send(fd_, p, n, MSG_NOSIGNAL);
      if (sent < 0 && errno == EINTR) continue;
      if (sent <= 0) return false;
      p += sent;
      n -= static_cast<size_t>(sent);
    }
    return true;
  }

  int fd_;
  std::mutex mu_;
  bool broken_ = false;
};

// A stream buffer whose contents go to the caller as frames of one kind.
class FrameBuf : public std::streambuf {
 public:
  FrameBuf(Connection& conn, char kind) : conn_(conn), kind_(kind) { setp(buf_.data(), buf_.data() + buf_.size()); }
  ~FrameBuf() override { sync(); }

 protected:
  int_type overflow(int_type ch) override {
    sync();
    if (!traits_type::eq_int_type(ch, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(ch);
      pbump(1);
    }
    return traits_type::not_eof(ch);
  }
  int sync() override {
    if (pptr() > pbase()) conn_.frame(kind_, std::string_view(pbase(), static_cast<size_t>(pptr() - pbase())));
    setp(buf_.data(), buf_.data() + buf_.size());
    return 0;
  }

 private:
  Connection& conn_;
  char kind_;
  std::array<char, 16384> buf_{};
};

Result<AdminCall> parse_call(std::string_view text) {
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(text, ec);
  const auto* o = ec ? nullptr : v.if_object();
  const auto* args = o == nullptr ? nullptr : o->if_contains("args");
  const auto* cwd = o == nullptr ? nullptr : o->if_contains("cwd");
  if (args == nullptr || !args->is_array() || cwd == nullptr || !cwd->is_string()) {
    return invalid_argument("malformed admin request");
  }
  AdminCall call;
  for (const auto& a : args->get_array()) {
    if (!a.is_string()) return invalid_argument("malformed admin request");
    call.args.emplace_back(a.get_string());
  }
  call.cwd = std::string(cwd->get_string());
  if (const auto* t = o->if_contains("terminal"); t != nullptr && t->is_bool()) call.err_is_terminal = t->get_bool();
  return call;
}

}  // namespace

std::filesystem::path admin_socket_path(const config::Config& cfg) { return cfg.server.data_dir / "admin.sock"; }

struct AdminSocket::Impl {
  std::filesystem::path path;
  int lock_fd = -1;  // flock'ed <path>.lock, held while this listens: then the socket file is ours
  CommandRunner runner;
  asio::io_context io;
  local::acceptor acceptor{io};
  std::thread loop;
  std::mutex mu;
  std::condition_variable idle;
  int running = 0;

  void accept() {
    acceptor.async_accept([this](boost::system::error_code ec, local::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) start(socket.release());
      accept();
    });
  }

  void start(int fd) {
    auto conn = std::make_shared<Connection>(fd);
    {
      std::lock_guard lock(mu);
      if (running >= kMaxRunning) {
        conn->frame('e', "fleetgate: the service is running " + std::to_string(kMaxRunning) +
                             " admin commands already; try again when one has finished\n");
        conn->frame('x', std::to_string(kExitUnavailable));
        return;
      }
      ++running;
    }
    std::thread([this, conn] {
      serve(*conn);
      std::lock_guard lock(mu);  // notify under the lock: ~Impl may destroy `idle` once it sees 0
      --running;
      idle.notify_all();
    }).detach();
  }

  void serve(Connection& conn) {
    auto uid = conn.peer_uid();
    if (!uid.is_ok()) return;
    if (*uid != geteuid() && *uid != 0) {
      conn.frame('e', "fleetgate: the admin socket accepts only the service's account (uid " + std::to_string(geteuid()) +
                          ") and root, not uid " + std::to_string(*uid) + "\n");
      conn.frame('x', std::to_string(kExitNoPermission));
      return;
    }
    unsigned char len[4];
    if (!conn.read_exact(reinterpret_cast<char*>(len), sizeof len)) return;
    const uint32_t n = from_be32(len);
    if (n > kMaxRequest) return;
    std::string text(n, '\0');
    if (!conn.read_exact(text.data(), n)) return;
    auto call = parse_call(text);
    if (!call.is_ok()) return;
    call->uid = *uid;
    int code = kExitFailure;
    {
      FrameBuf out_buf(conn, 'o'), err_buf(conn, 'e');
      std::ostream out(&out_buf), err(&err_buf);
      try {
        code = runner(*call, out, err);
      } catch (const std::exception& e) {  // a command's bug must not take the service down
        spdlog::error("admin command failed: {}", e.what());
        err << "fleetgate: internal error: " << e.what() << "\n";
      }
    }
    conn.frame('x', std::to_string(code));
  }

  ~Impl() {
    asio::post(io, [this] { acceptor.close(); });
    if (loop.joinable()) loop.join();
    std::error_code ec;
    if (lock_fd >= 0) {
      std::filesystem::remove(path, ec);
      ::close(lock_fd);  // after the removal: the next service may bind at once
    }
    std::unique_lock lock(mu);
    idle.wait(lock, [this] { return running == 0; });
  }
};

AdminSocket::AdminSocket(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AdminSocket::~AdminSocket() = default;

Result<std::unique_ptr<AdminSocket>> AdminSocket::listen(const std::filesystem::path& path, CommandRunner runner) {
  if (path.native().size() >= sizeof(sockaddr_un::sun_path)) {
    return invalid_argument("admin socket path " + path.string() + " is longer than a unix socket allows (" +
                            std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes): use a shorter server.data_dir");
  }
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->runner = std::move(runner);
  // One service per data dir: nothing else guards it when no store lives there (the distributed
  // mode), and the socket file of a running service must not be taken over.
  const std::string lock_path = path.string() + ".lock";
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return unavailable("admin socket lock " + lock_path + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return unavailable("data dir " + path.parent_path().string() + " is in use by another fleetgate process (it serves " +
                         path.string() + ")");
    }
    return unavailable("admin socket lock " + lock_path + ": " + std::strerror(err));
  }
  std::error_code fs_ec;
  impl->lock_fd = fd;
  std::filesystem::remove(path, fs_ec);  // a stale file of a process that died: we hold the lock
  boost::system::error_code ec;
  impl->acceptor.open(local(), ec);
  // 0600 from the start: no moment in which another account could connect.
  const mode_t old_mask = ::umask(0177);
  if (!ec) impl->acceptor.bind(local::endpoint(path.string()), ec);
  ::umask(old_mask);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return unavailable("admin socket " + path.string() + ": " + ec.message());
  impl->accept();
  impl->loop = std::thread([io = &impl->io] { io->run(); });
  return std::unique_ptr<AdminSocket>(new AdminSocket(std::move(impl)));
}

struct AdminConnection::Impl {
  std::filesystem::path path;
  asio::io_context io;
  local::socket socket{io};
};

AdminConnection::AdminConnection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AdminConnection::~AdminConnection() = default;

std::shared_ptr<AdminConnection> AdminConnection::open(const std::filesystem::path& path) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  boost::system::error_code ec;
  impl->socket.connect(local::endpoint(path.string()), ec);
  if (ec == asio::error::access_denied) {
    fail("cannot reach the running service at " + path.string() + ": " + ec.message(), kExitNoPermission);
  }
  if (ec) return nullptr;
  return std::shared_ptr<AdminConnection>(new AdminConnection(std::move(impl)));
}

int AdminConnection::run(const std::vector<std::string>& args) {
  local::socket& socket = impl_->socket;
  const std::filesystem::path& path = impl_->path;
  boost::system::error_code ec;
  boost::json::array arr;
  for (const auto& a : args) arr.emplace_back(a);
  std::error_code cwd_ec;
  const std::string request = boost::json::serialize(boost::json::object{
      {"args", std::move(arr)}, {"cwd", std::filesystem::current_path(cwd_ec).string()}, {"terminal", isatty(STDERR_FILENO) == 1}});
  const auto len = be32(static_cast<uint32_t>(request.size()));
  asio::write(socket, asio::buffer(len), ec);
  if (!ec) asio::write(socket, asio::buffer(request), ec);
  // A service that refuses this account answers without reading the request, so the write may
  // fail while its answer waits to be read: read on regardless.
  ec.clear();
  std::string payload;
  while (!ec) {
    unsigned char head[5];
    asio::read(socket, asio::buffer(head), ec);
    if (ec) break;
    const uint32_t n = from_be32(head + 1);
    if (n > kMaxFrame) break;
    payload.resize(n);
    asio::read(socket, asio::buffer(payload), ec);
    if (ec) break;
    if (head[0] == 'x') {
      int code = kExitFailure;
      try {
        code = std::stoi(payload);
      } catch (const std::exception&) {
      }
      return code;
    }
    std::ostream& to = head[0] == 'e' ? std::cerr : std::cout;
    to << payload;
    to.flush();
  }
  std::cerr << "fleetgate: the service at " << path.string() << " closed the admin connection before the command ended"
            << (ec ? " (" + ec.message() + ")" : std::string()) << "\n";
  return kExitUnavailable;
}

}  // namespace fleetgate::app
