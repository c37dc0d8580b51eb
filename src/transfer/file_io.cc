#include "fleetgate/transfer/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace fleetgate::transfer::detail {

Status io_error(const std::filesystem::path& path, std::string_view what, int err) {
  return unavailable(path.string() + ": " + std::string(what) + ": " +
                     std::error_code(err, std::generic_category()).message());
}

Status write_new_file(const std::filesystem::path& path, std::string_view data, int mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return io_error(path, "create", errno);
  Status s;
  while (!data.empty() && s.is_ok()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) s = io_error(path, "write", errno);
    else data.remove_prefix(static_cast<size_t>(n));
  }
  if (s.is_ok() && ::fsync(fd) != 0) s = io_error(path, "fsync", errno);
  ::close(fd);
  return s;
}

Status sync_dir(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error(dir, "open", errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  return rc == 0 ? Status::ok() : io_error(dir, "fsync", err);
}

Result<std::string> read_file(const std::filesystem::path& path, uint64_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0 && errno == ENOENT) return not_found(path.string() + ": no such file");
  if (fd < 0 && errno == ELOOP) return invalid_argument(path.string() + ": is a symbolic link");
  if (fd < 0) return io_error(path, "open", errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return invalid_argument(path.string() + ": not a regular file");
  }
  const auto too_large = [&] {
    return Status(Code::kResourceExhausted, path.string() + ": larger than the " + std::to_string(max_bytes) + " bytes allowed");
  };
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    ::close(fd);
    return too_large();
  }
  std::string out;
  out.reserve(static_cast<size_t>(st.st_size));
  char buf[1 << 16];
  for (;;) {
    if (out.size() > max_bytes) {  // grew since fstat
      ::close(fd);
      return too_large();
    }
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return io_error(path, "read", err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace fleetgate::transfer::detail
