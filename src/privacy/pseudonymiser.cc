#include "fleetgate/privacy/pseudonymiser.h"

#include <openssl/crypto.h>

#include "fleetgate/privacy/openssl_util.h"

namespace fleetgate::privacy {
namespace {
// Domain separation: the same root key serves VIN pseudonyms and transfer key derivation.
constexpr std::string_view kVinLabel = "vin:";
constexpr std::string_view kTransferSalt = "fleetgate/transfer-pseudonym/v1";
}  // namespace

Result<std::string> Pseudonymiser::pseudonym(std::string_view vin) const {
  std::string input(kVinLabel);
  input += vin;
  return detail::hmac_hex(keys_->pseudonym_key_, input, kPseudonymBytes, kPseudonymPrefix);
}

Result<TransferPseudonymiser> Pseudonymiser::for_transfer(std::string_view transfer_id) const {
  if (transfer_id.empty()) return invalid_argument("transfer id must not be empty");
  RegionKeys::Key key{};
  Status s = detail::hkdf(keys_->pseudonym_key_, kTransferSalt, transfer_id, key);
  if (!s.is_ok()) return s;
  TransferPseudonymiser t(std::string(transfer_id), key);
  OPENSSL_cleanse(key.data(), key.size());
  return t;
}

TransferPseudonymiser::~TransferPseudonymiser() { OPENSSL_cleanse(key_.data(), key_.size()); }

Result<std::string> TransferPseudonymiser::pseudonym(std::string_view region_pseudonym) const {
  return detail::hmac_hex(key_, region_pseudonym, kPseudonymBytes, kTransferPseudonymPrefix);
}

}  // namespace fleetgate::privacy
