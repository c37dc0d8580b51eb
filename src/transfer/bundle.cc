#include "fleetgate/transfer/bundle.h"

#include <fcntl.h>

#include <boost/json/serialize.hpp>
#include <cerrno>
#include <cstdio>
#include <set>

#include "fleetgate/core/digest.h"
#include "fleetgate/transfer/file_io.h"

namespace fleetgate::transfer {
namespace {

namespace fs = std::filesystem;

bool is_plain_name(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

bool reserved(std::string_view name) { return name == kManifestFile || name == kSignatureFile; }

std::optional<std::string> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    unsigned v = 0;
    for (char c : hex.substr(i, 2)) {
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<unsigned>(c - 'a' + 10);
      else return std::nullopt;
    }
    out.push_back(static_cast<char>(v));
  }
  return out;
}

Status write_bundle_dir(const fs::path& dir, const BundleContent& content, std::string_view signature_hex) {
  std::error_code ec;
  if (!fs::create_directory(dir, ec) || ec) return detail::io_error(dir, "create directory", ec ? ec.value() : EEXIST);
  for (const auto& [name, bytes] : content.files) {
    if (Status s = detail::write_new_file(dir / name, bytes); !s.is_ok()) return s;
  }
  if (Status s = detail::write_new_file(dir / kManifestFile, content.manifest_bytes); !s.is_ok()) return s;
  if (Status s = detail::write_new_file(dir / kSignatureFile, std::string(signature_hex) + "\n"); !s.is_ok()) return s;
  return detail::sync_dir(dir);
}

// Before the signature is checked nothing in the bundle can be trusted, so the manifest and its
// signature are read under fixed caps; content files under the sizes the signed manifest declares.
constexpr uint64_t kMaxManifestBytes = 1 << 20;
constexpr uint64_t kMaxSignatureBytes = 1024;  // hex of a 64-byte Ed25519 signature and a newline

Result<std::string> read_bundle_file(const fs::path& bundle, std::string_view name, uint64_t max_bytes) {
  auto bytes = detail::read_file(bundle / name, max_bytes);
  if (!bytes.is_ok() && bytes.status().code() == Code::kNotFound) {
    return data_loss("bundle " + bundle.string() + " lacks " + std::string(name));
  }
  if (!bytes.is_ok()) return data_loss(bytes.status().message());
  return bytes;
}

Status check_is_bundle_dir(const fs::path& bundle) {
  std::error_code ec;
  if (!fs::is_directory(fs::symlink_status(bundle, ec))) return not_found("no bundle directory " + bundle.string());
  return Status::ok();
}

}  // namespace

Result<BundleContent> publish_bundle(const fs::path& out_dir, std::string_view name, Manifest manifest,
                                     std::map<std::string, std::string> files, const SigningKey& key) {
  if (!is_plain_name(name)) return invalid_argument("bundle name '" + std::string(name) + "' is not a plain name");
  manifest.files.clear();
  manifest.file_bytes.clear();
  for (const auto& [file, bytes] : files) {
    if (!is_plain_name(file) || reserved(file)) return invalid_argument("bad bundle file name '" + file + "'");
    manifest.files[file] = sha256_hex(bytes);
    manifest.file_bytes[file] = bytes.size();
  }
  BundleContent content{std::move(manifest), {}, std::move(files)};
  content.manifest_bytes = boost::json::serialize(to_json(content.manifest)) + "\n";
  auto signature = key.sign(content.manifest_bytes);
  if (!signature.is_ok()) return signature.status();

  const fs::path target = out_dir / name;
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return detail::io_error(out_dir, "create directory", ec.value());
  if (fs::exists(fs::symlink_status(target, ec))) return already_exists("bundle " + target.string() + " exists");
  const fs::path temp = out_dir / ("." + std::string(name) + ".partial-" + random_token(6));
  Status s = write_bundle_dir(temp, content, to_hex(reinterpret_cast<const uint8_t*>(signature->data()), signature->size()));
  // NOREPLACE: plain rename() would silently replace an empty directory created meanwhile.
  if (s.is_ok() && ::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) != 0) {
    s = errno == EEXIST ? already_exists("bundle " + target.string() + " exists") : detail::io_error(target, "rename", errno);
  }
  if (s.is_ok()) s = detail::sync_dir(out_dir);
  if (!s.is_ok()) {
    fs::remove_all(temp, ec);
    return s;
  }
  return content;
}

Result<Manifest> peek_manifest(const fs::path& bundle) {
  if (Status s = check_is_bundle_dir(bundle); !s.is_ok()) return s;
  auto text = read_bundle_file(bundle, kManifestFile, kMaxManifestBytes);
  if (!text.is_ok()) return text.status();
  return manifest_from_json(*text);
}

Result<BundleContent> read_bundle(const fs::path& bundle, std::string_view public_pem) {
  if (Status s = check_is_bundle_dir(bundle); !s.is_ok()) return s;
  BundleContent content;
  auto manifest_bytes = read_bundle_file(bundle, kManifestFile, kMaxManifestBytes);
  if (!manifest_bytes.is_ok()) return manifest_bytes.status();
  content.manifest_bytes = std::move(manifest_bytes).value();
  auto sig_text = read_bundle_file(bundle, kSignatureFile, kMaxSignatureBytes);
  if (!sig_text.is_ok()) return sig_text.status();
  std::string_view hex = *sig_text;
  if (hex.ends_with('\n')) hex.remove_suffix(1);
  auto signature = from_hex(hex);
  if (!signature) return data_loss("bundle " + bundle.string() + ": manifest.sig is not hex");
  if (Status s = verify_signature(public_pem, content.manifest_bytes, *signature); !s.is_ok()) {
    return s.code() == Code::kDataLoss ? data_loss("bundle " + bundle.string() + ": " + s.message()) : s;
  }
  auto manifest = manifest_from_json(content.manifest_bytes);
  if (!manifest.is_ok()) return manifest.status();
  content.manifest = std::move(manifest).value();

  std::set<std::string> expected = {std::string(kManifestFile), std::string(kSignatureFile)};
  for (const auto& [name, digest] : content.manifest.files) {
    if (!is_plain_name(name) || reserved(name)) return data_loss("bundle manifest names a bad file '" + name + "'");
    auto bytes = read_bundle_file(bundle, name, content.manifest.file_bytes.at(name));
    if (!bytes.is_ok()) return bytes.status();
    if (sha256_hex(*bytes) != digest) return data_loss("bundle " + bundle.string() + ": " + name + " does not match its SHA-256");
    content.files.emplace(name, std::move(bytes).value());
    expected.insert(name);
  }
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(bundle, ec)) {
    const std::string name = entry.path().filename().string();
    if (!expected.contains(name)) return data_loss("bundle " + bundle.string() + " holds an unexpected file '" + name + "'");
  }
  if (ec) return data_loss("bundle " + bundle.string() + ": cannot list: " + ec.message());
  return content;
}

}  // namespace fleetgate::transfer
