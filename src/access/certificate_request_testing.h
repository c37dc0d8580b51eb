// Test side of POST /v1/vehicles/{vin}/certificates: what a car does before it asks for a
// certificate (a key of its own and a PKCS#10 request signed with it), and the check that a
// certificate certifies that very key. OpenSSL 3; for tests only.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <string_view>

namespace fleetgate::access::testing {

// A PEM certificate request with a fresh key: EC on `curve` ("P-256", "P-384", "P-521"), or RSA
// of `rsa_bits` when that is set; subject CN=`common_name` (no subject when empty). "" on failure.
inline std::string certificate_request(std::string_view common_name, const char* curve = "P-256", unsigned rsa_bits = 0) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(rsa_bits ? EVP_RSA_gen(rsa_bits) : EVP_EC_gen(curve),
                                                          &EVP_PKEY_free);
  std::unique_ptr<X509_REQ, decltype(&X509_REQ_free)> req(X509_REQ_new(), &X509_REQ_free);
  if (!key || !req || X509_REQ_set_pubkey(req.get(), key.get()) != 1) return "";
  if (!common_name.empty() &&
      X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req.get()), "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.data()),
                                 static_cast<int>(common_name.size()), -1, 0) != 1) {
    return "";
  }
  if (X509_REQ_sign(req.get(), key.get(), EVP_sha256()) <= 0) return "";
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (!bio || PEM_write_bio_X509_REQ(bio.get(), req.get()) != 1) return "";
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

// True when the PEM certificate certifies the public key of the PEM request.
inline bool certifies_key_of(std::string_view certificate_pem, std::string_view request_pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> cb(BIO_new_mem_buf(certificate_pem.data(), static_cast<int>(certificate_pem.size())),
                                               &BIO_free);
  std::unique_ptr<BIO, decltype(&BIO_free)> rb(BIO_new_mem_buf(request_pem.data(), static_cast<int>(request_pem.size())),
                                               &BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr), &X509_free);
  std::unique_ptr<X509_REQ, decltype(&X509_REQ_free)> req(PEM_read_bio_X509_REQ(rb.get(), nullptr, nullptr, nullptr),
                                                          &X509_REQ_free);
  if (!cert || !req) return false;
  return EVP_PKEY_eq(X509_get0_pubkey(cert.get()), X509_REQ_get0_pubkey(req.get())) == 1;
}

}  // namespace fleetgate::access::testing
