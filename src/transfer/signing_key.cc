#include "fleetgate/transfer/signing_key.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "fleetgate/core/digest.h"
#include "fleetgate/transfer/file_io.h"

namespace fleetgate::transfer {
namespace {

constexpr uint64_t kMaxKeyFileBytes = 64 * 1024;  // a PEM Ed25519 key is about 120 bytes

namespace fs = std::filesystem;

std::string openssl_error() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

Result<std::string> private_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return internal_error("cannot encode signing key: " + openssl_error());
  }
  return bio_text(bio.get());
}

Result<std::string> public_pem_of(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1) {
    return internal_error("cannot encode public key: " + openssl_error());
  }
  return bio_text(bio.get());
}

// Writes a fresh key beside `path` and links it into place; a key another process linked first wins.
Status create_key_file(const fs::path& path) {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!key) return internal_error("cannot generate Ed25519 key: " + openssl_error());
  auto pem = private_pem(key.get());
  if (!pem.is_ok()) return pem.status();
  const fs::path temp = path.string() + ".tmp-" + random_token(8);
  Status s = detail::write_new_file(temp, *pem, 0600);
  if (s.is_ok() && ::link(temp.c_str(), path.c_str()) != 0 && errno != EEXIST) s = detail::io_error(path, "link", errno);
  ::unlink(temp.c_str());
  if (!s.is_ok()) return s;
  return detail::sync_dir(path.parent_path());
}

// The key file's text, after checking it is a regular file of this user that nobody else can read.
Result<std::string> read_key_file(const fs::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return detail::io_error(path, "stat", errno);
  if (!S_ISREG(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & 0077) != 0) {
    return failed_precondition("signing key " + path.string() +
                               " must be a regular file owned by this user with mode 0600");
  }
  return detail::read_file(path, kMaxKeyFileBytes);
}

}  // namespace

Result<std::unique_ptr<SigningKey>> SigningKey::open(const fs::path& region_dir) {
  std::error_code ec;
  fs::create_directories(region_dir, ec);
  if (ec) return detail::io_error(region_dir, "create directory", ec.value());
  const fs::path path = region_dir / kSigningKeyFileName;
  if (!fs::exists(fs::symlink_status(path))) {
    if (Status s = create_key_file(path); !s.is_ok()) return s;
  }
  auto pem = read_key_file(path);
  if (!pem.is_ok()) return pem.status();
  BioPtr bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
  PkeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key || EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519) {
    ERR_clear_error();
    return data_loss("signing key " + path.string() + " holds no Ed25519 private key");
  }
  auto pub = public_pem_of(key.get());
  if (!pub.is_ok()) return pub.status();
  return std::unique_ptr<SigningKey>(new SigningKey(key.release(), std::move(pub).value()));
}

SigningKey::~SigningKey() { EVP_PKEY_free(key_); }

Result<std::string> SigningKey::sign(std::string_view data) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::string sig(64, '\0');
  size_t len = sig.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    return internal_error("Ed25519 signing failed: " + openssl_error());
  }
  sig.resize(len);
  return sig;
}

Status verify_signature(std::string_view public_pem, std::string_view data, std::string_view signature) {
  BioPtr bio(BIO_new_mem_buf(public_pem.data(), static_cast<int>(public_pem.size())));
  PkeyPtr key(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key || EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519) {
    ERR_clear_error();
    return invalid_argument("not an Ed25519 public key");
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) {
    return internal_error("Ed25519 verification failed: " + openssl_error());
  }
  const int ok = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                                  reinterpret_cast<const unsigned char*>(data.data()), data.size());
  ERR_clear_error();
  if (ok != 1) return data_loss("bundle signature does not verify");
  return Status::ok();
}

}  // namespace fleetgate::transfer
