#include "fleetgate/app/vin_directory_open.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>

#include "fleetgate/privacy/keyring.h"
#include "fleetgate/store/pg_connection.h"
#include "fleetgate/store/pg_store.h"

namespace fleetgate::app {
namespace {

constexpr std::string_view kKeyRegion = "directory";
constexpr size_t kMaxKeyFileBytes = 1024;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// 64 hex digits (surrounding whitespace ignored) as the directory's keys.
Result<std::shared_ptr<const privacy::RegionKeys>> keys_from_hex(std::string_view text, const std::string& source) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  privacy::RegionKeys::Key key{};
  if (text.size() != 2 * key.size()) return invalid_argument("the directory key in " + source + " must be 64 hex digits");
  for (size_t i = 0; i < key.size(); ++i) {
    const int hi = hex_value(text[2 * i]), lo = hex_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return invalid_argument("the directory key in " + source + " must be 64 hex digits");
    key[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  // Only the pseudonym key is used: the directory encrypts nothing, so its ring holds no data key.
  return std::make_shared<const privacy::RegionKeys>(std::string(kKeyRegion), key, 0,
                                                     std::map<uint32_t, privacy::RegionKeys::Key>{});
}

// The key file's text, after checking it is a regular file of this user that nobody else can read.
Result<std::string> read_key_file(const std::filesystem::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return not_found("directory key file " + path.string() + " cannot be read");
  if (!S_ISREG(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & 0077) != 0) {
    return failed_precondition("directory key file " + path.string() +
                               " must be a regular file owned by this user with mode 0600");
  }
  if (static_cast<uint64_t>(st.st_size) > kMaxKeyFileBytes) return invalid_argument("directory key file " + path.string() + " is too large");
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) return unavailable("directory key file " + path.string() + " cannot be read");
  return text;
}

bool shared_directory(const config::Config& cfg) {
  return !cfg.directory.dsn_env.empty() || cfg.control.backend == config::ControlSettings::Backend::kPostgres;
}

Result<std::shared_ptr<const privacy::RegionKeys>> directory_keys(const config::Config& cfg) {
  const config::DirectorySettings& d = cfg.directory;
  if (const char* hex = std::getenv(d.key_env.c_str()); hex != nullptr && *hex != '\0') {
    return keys_from_hex(hex, "$" + d.key_env);
  }
  if (!d.key_file.empty()) {
    auto text = read_key_file(d.key_file);
    if (!text.is_ok()) return text.status();
    return keys_from_hex(*text, d.key_file.string());
  }
  if (shared_directory(cfg)) {
    return failed_precondition("the VIN directory is shared between nodes, so they need one key: set $" + d.key_env +
                               " (64 hex digits) or [directory] key_file");
  }
  return privacy::RegionKeys::open(cfg.server.data_dir, kKeyRegion);
}

}  // namespace

Result<std::string> directory_dsn(const config::Config& cfg) {
  return store::dsn_from_env(cfg.directory.dsn_env, "[directory]");
}

Result<OpenedDirectory> open_vin_directory(const config::Config& cfg, store::KvStore& control) {
  auto keys = directory_keys(cfg);
  if (!keys.is_ok()) return keys.status();
  OpenedDirectory opened;
  if (!cfg.directory.dsn_env.empty()) {
    auto dsn = directory_dsn(cfg);
    if (!dsn.is_ok()) return dsn.status();
    auto store = store::open_pg(*dsn);
    if (!store.is_ok()) return store.status();
    opened.own_store = std::move(store).value();
  }
  store::KvStore& store = opened.own_store ? *opened.own_store : control;
  opened.directory = std::make_unique<vehicle::VinDirectory>(store, privacy::Pseudonymiser(*keys));
  return opened;
}

}  // namespace fleetgate::app
