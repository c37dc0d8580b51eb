#include "fleetgate/privacy/keyring.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include "fleetgate/core/digest.h"
#include <openssl/rand.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <system_error>

namespace fleetgate::privacy {
namespace fs = std::filesystem;

// File format, version 1 (integers big-endian):
//   "FGKR" | u8 version | u8 region length | region | 32-byte pseudonym key | u32 active id |
//   u16 key count | count x (u32 id | 32-byte key) | SHA-256 of everything before it
namespace {

constexpr std::string_view kMagic = "FGKR";
constexpr uint8_t kFormatVersion = 1;
constexpr size_t kDigestSize = 32;
constexpr size_t kMaxRegionLength = 32;

std::string errno_text(int err) { return std::error_code(err, std::generic_category()).message(); }

Status io_error(const fs::path& path, std::string_view what, int err) {
  return unavailable("privacy keyring " + path.string() + ": " + std::string(what) + ": " + errno_text(err));
}

// Closes a file descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

 private:
  int fd_;
};

Status check_region_id(std::string_view region) {
  if (region.empty() || region.size() > kMaxRegionLength) {
    return invalid_argument("region id must have 1 to 32 characters");
  }
  for (char c : region) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
      return invalid_argument("region id '" + std::string(region) + "' may only hold a-z, 0-9, '-' and '_'");
    }
  }
  return Status::ok();
}

void put_u32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

void put_key(std::string& out, const RegionKeys::Key& key) { out.append(reinterpret_cast<const char*>(key.data()), key.size()); }

// Reads fixed-size fields off the front of a byte string.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : rest_(bytes) {}
  bool take(size_t n, std::string_view& out) {
    if (rest_.size() < n) return false;
    out = rest_.substr(0, n);
    rest_.remove_prefix(n);
    return true;
  }
  bool u8(uint8_t& v) {
    std::string_view b;
    if (!take(1, b)) return false;
    v = static_cast<uint8_t>(b[0]);
    return true;
  }
  bool u16(uint16_t& v) {
    std::string_view b;
    if (!take(2, b)) return false;
    v = static_cast<uint16_t>((static_cast<uint8_t>(b[0]) << 8) | static_cast<uint8_t>(b[1]));
    return true;
  }
  bool u32(uint32_t& v) {
    std::string_view b;
    if (!take(4, b)) return false;
    v = 0;
    for (char c : b) v = (v << 8) | static_cast<uint8_t>(c);
    return true;
  }
  bool key(RegionKeys::Key& k) {
    std::string_view b;
    if (!take(k.size(), b)) return false;
    std::memcpy(k.data(), b.data(), k.size());
    return true;
  }
  bool empty() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

// The parsed content of a keyring file, wiped when it goes out of scope.
struct KeyringContent {
  std::string region;
  RegionKeys::Key pseudonym_key{};
  uint32_t active_id = 0;
  std::map<uint32_t, RegionKeys::Key> data_keys;

  KeyringContent() = default;
  KeyringContent(const KeyringContent&) = delete;
  KeyringContent& operator=(const KeyringContent&) = delete;
  ~KeyringContent() {
    OPENSSL_cleanse(pseudonym_key.data(), pseudonym_key.size());
    for (auto& [id, key] : data_keys) OPENSSL_cleanse(key.data(), key.size());
  }
};

std::string serialize(const KeyringContent& c) {
  std::string out(kMagic);
  out.push_back(static_cast<char>(kFormatVersion));
  out.push_back(static_cast<char>(c.region.size()));
  out += c.region;
  put_key(out, c.pseudonym_key);
  put_u32(out, c.active_id);
  out.push_back(static_cast<char>((c.data_keys.size() >> 8) & 0xff));
  out.push_back(static_cast<char>(c.data_keys.size() & 0xff));
  for (const auto& [id, key] : c.data_keys) {
    put_u32(out, id);
    put_key(out, key);
  }
  auto digest = sha256(out);
  out.append(reinterpret_cast<const char*>(digest.data()), digest.size());
  return out;
}

Status parse(std::string_view bytes, const fs::path& path, KeyringContent& c) {
  auto corrupt = [&](std::string_view why) {
    return data_loss("privacy keyring " + path.string() + " is corrupt: " + std::string(why) +
                     "; refusing to start (restore it from backup: data sealed with it is unreadable without it)");
  };
  if (bytes.size() < kMagic.size() + kDigestSize) return corrupt("file is too short");
  std::string_view body = bytes.substr(0, bytes.size() - kDigestSize);
  auto digest = sha256(body);
  if (std::memcmp(digest.data(), bytes.data() + body.size(), kDigestSize) != 0) return corrupt("checksum mismatch");
  Reader r(body);
  std::string_view magic;
  uint8_t version = 0, region_len = 0;
  if (!r.take(kMagic.size(), magic) || magic != kMagic) return corrupt("bad magic");
  if (!r.u8(version) || version != kFormatVersion) return corrupt("unknown format version");
  std::string_view region;
  if (!r.u8(region_len) || !r.take(region_len, region)) return corrupt("truncated region id");
  c.region = std::string(region);
  uint16_t count = 0;
  if (!r.key(c.pseudonym_key) || !r.u32(c.active_id) || !r.u16(count)) return corrupt("truncated header");
  for (uint16_t i = 0; i < count; ++i) {
    uint32_t id = 0;
    RegionKeys::Key key{};
    if (!r.u32(id) || !r.key(key)) return corrupt("truncated key list");
    if (!c.data_keys.emplace(id, key).second) return corrupt("duplicate key id " + std::to_string(id));
    OPENSSL_cleanse(key.data(), key.size());
  }
  if (!r.empty()) return corrupt("trailing bytes");
  if (!c.data_keys.contains(c.active_id)) return corrupt("active key id is not in the ring");
  return Status::ok();
}

Status random_key(RegionKeys::Key& key) {
  if (RAND_priv_bytes(key.data(), static_cast<int>(key.size())) != 1) {
    return internal_error("privacy keyring: the random generator failed");
  }
  return Status::ok();
}

// Holds an exclusive advisory lock on <region_dir>/privacy.keyring.lock, serialising creation and
// rotation between processes.
Result<std::unique_ptr<Fd>> lock_keyring(const fs::path& keyring) {
  fs::path lock_path = keyring;
  lock_path += ".lock";
  auto fd = std::make_unique<Fd>(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd->valid()) return io_error(lock_path, "cannot open lock file", errno);
  if (::flock(fd->get(), LOCK_EX) != 0) return io_error(lock_path, "cannot lock", errno);
  return fd;
}

// Reads the keyring, checking ownership and permissions first. kNotFound when it does not exist.
Status read_keyring(const fs::path& path, KeyringContent& c) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd.valid()) {
    if (errno == ENOENT) return not_found("no privacy keyring at " + path.string());
    if (errno == ELOOP) return failed_precondition("privacy keyring " + path.string() + " is a symbolic link; refusing to start");
    return io_error(path, "cannot open", errno);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return io_error(path, "cannot stat", errno);
  if (!S_ISREG(st.st_mode)) return failed_precondition("privacy keyring " + path.string() + " is not a regular file");
  if (st.st_uid != ::geteuid()) {
    return failed_precondition("privacy keyring " + path.string() + " belongs to uid " + std::to_string(st.st_uid) +
                               ", not to this process (uid " + std::to_string(::geteuid()) + "); refusing to start");
  }
  if ((st.st_mode & 0077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return failed_precondition("privacy keyring " + path.string() + " has mode " + mode +
                               "; it must be 0600 or stricter (chmod 600 it); refusing to start");
  }
  std::string bytes(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::read(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error(path, "cannot read", errno);
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  bytes.resize(done);
  Status s = parse(bytes, path, c);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return s;
}

// Writes `bytes` to a fresh temp file (O_EXCL, 0600), fsyncs it, renames it over `path` (or, when
// !replace, only if `path` does not exist) and fsyncs the directory.
Status write_atomically(const fs::path& path, std::string_view bytes, bool replace) {
  fs::path tmp = path;
  tmp += ".tmp";
  ::unlink(tmp.c_str());  // a leftover of a crash; we hold the keyring lock
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) return io_error(tmp, "cannot create", errno);
  auto fail = [&](std::string_view what) {
    int err = errno;
    ::unlink(tmp.c_str());
    return io_error(tmp, what, err);
  };
  if (::fchmod(fd.get(), 0600) != 0) return fail("cannot chmod");
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("cannot write");
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return fail("cannot fsync");
  if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, path.c_str(), replace ? 0 : RENAME_NOREPLACE) != 0) {
    return fail("cannot rename into place");
  }
  Fd dir(::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid() || ::fsync(dir.get()) != 0) return io_error(path.parent_path(), "cannot fsync directory", errno);
  return Status::ok();
}

Result<fs::path> prepare_dir(const fs::path& region_dir, std::string_view region) {
  if (Status s = check_region_id(region); !s.is_ok()) return s;
  std::error_code ec;
  fs::create_directories(region_dir, ec);
  if (ec) return unavailable("cannot create region directory " + region_dir.string() + ": " + ec.message());
  return region_dir / kKeyringFileName;
}

Status check_region_matches(const KeyringContent& c, const fs::path& path, std::string_view region) {
  if (c.region == region) return Status::ok();
  return data_loss("privacy keyring " + path.string() + " belongs to region '" + c.region + "', not '" +
                   std::string(region) + "'; refusing to start");
}

}  // namespace

RegionKeys::RegionKeys(std::string region, const Key& pseudonym_key, uint32_t active_id, std::map<uint32_t, Key> data_keys)
    : region_(std::move(region)), pseudonym_key_(pseudonym_key), active_id_(active_id), data_keys_(std::move(data_keys)) {}

RegionKeys::~RegionKeys() {
  OPENSSL_cleanse(pseudonym_key_.data(), pseudonym_key_.size());
  for (auto& [id, key] : data_keys_) OPENSSL_cleanse(key.data(), key.size());
}

std::vector<uint32_t> RegionKeys::key_ids() const {
  std::vector<uint32_t> ids;
  for (const auto& [id, key] : data_keys_) ids.push_back(id);
  return ids;
}

const RegionKeys::Key* RegionKeys::data_key(uint32_t id) const {
  auto it = data_keys_.find(id);
  return it == data_keys_.end() ? nullptr : &it->second;
}

Result<std::shared_ptr<const RegionKeys>> RegionKeys::open(const fs::path& region_dir, std::string_view region) {
  auto path = prepare_dir(region_dir, region);
  if (!path) return path.status();
  auto lock = lock_keyring(*path);
  if (!lock) return lock.status();
  KeyringContent c;
  Status s = read_keyring(*path, c);
  if (s.code() == Code::kNotFound) {
    c.region = std::string(region);
    c.active_id = 1;
    RegionKeys::Key first{};
    if (s = random_key(c.pseudonym_key); !s.is_ok()) return s;
    if (s = random_key(first); !s.is_ok()) return s;
    c.data_keys.emplace(c.active_id, first);
    OPENSSL_cleanse(first.data(), first.size());
    std::string bytes = serialize(c);
    s = write_atomically(*path, bytes, /*replace=*/false);
    OPENSSL_cleanse(bytes.data(), bytes.size());
  } else if (s.is_ok()) {
    s = check_region_matches(c, *path, region);
  }
  if (!s.is_ok()) return s;
  return std::make_shared<const RegionKeys>(c.region, c.pseudonym_key, c.active_id, c.data_keys);
}

Result<uint32_t> RegionKeys::rotate(const fs::path& region_dir, std::string_view region) {
  auto path = prepare_dir(region_dir, region);
  if (!path) return path.status();
  auto lock = lock_keyring(*path);
  if (!lock) return lock.status();
  KeyringContent c;
  if (Status s = read_keyring(*path, c); !s.is_ok()) return s;
  if (Status s = check_region_matches(c, *path, region); !s.is_ok()) return s;
  uint32_t newest = c.data_keys.rbegin()->first;
  if (newest == UINT32_MAX || c.data_keys.size() >= UINT16_MAX) {
    return failed_precondition("privacy keyring " + path->string() + " has no room for another key");
  }
  RegionKeys::Key fresh{};
  if (Status s = random_key(fresh); !s.is_ok()) return s;
  c.active_id = newest + 1;
  c.data_keys.emplace(c.active_id, fresh);
  OPENSSL_cleanse(fresh.data(), fresh.size());
  std::string bytes = serialize(c);
  Status s = write_atomically(*path, bytes, /*replace=*/true);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  if (!s.is_ok()) return s;
  return c.active_id;
}

}  // namespace fleetgate::privacy
