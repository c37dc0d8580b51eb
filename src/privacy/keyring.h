// Per-region privacy keys, kept in one file <region_dir>/privacy.keyring: a pseudonym key (never
// rotated: pseudonyms are store keys) and a ring of AES-256 data keys with ids, one active for new
// writes, the older ones kept for reading. open() creates the file on first start (mode 0600,
// O_EXCL temp file + fsync + rename) and refuses a file that is corrupt, not owned by this user,
// or readable by anyone else. Raw key bytes never leave this module.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fleetgate/core/result.h"

namespace fleetgate::privacy {

inline constexpr std::string_view kKeyringFileName = "privacy.keyring";

class RegionKeys {
 public:
  // Loads the keyring of `region` from `region_dir`, creating both on first start.
  // Errors: kInvalidArgument for a bad region id; kFailedPrecondition when the file's mode is
  // looser than 0600, it is not a regular file or belongs to another user; kDataLoss when it is
  // corrupt or belongs to another region; kUnavailable for I/O failures.
  static Result<std::shared_ptr<const RegionKeys>> open(const std::filesystem::path& region_dir,
                                                        std::string_view region);

  // Adds a fresh data key to the keyring of `region_dir` and makes it the active one; returns its
  // id. Old keys stay for reading. Processes that already opened the keyring keep writing with the
  // key they loaded (still readable) until they reopen it. Same errors as open().
  static Result<uint32_t> rotate(const std::filesystem::path& region_dir, std::string_view region);

  const std::string& region() const { return region_; }
  uint32_t active_key_id() const { return active_id_; }
  std::vector<uint32_t> key_ids() const;

  using Key = std::array<uint8_t, 32>;
  RegionKeys(std::string region, const Key& pseudonym_key, uint32_t active_id, std::map<uint32_t, Key> data_keys);
  ~RegionKeys();
  RegionKeys(const RegionKeys&) = delete;
  RegionKeys& operator=(const RegionKeys&) = delete;

 private:
  friend class Pseudonymiser;
  friend class FieldCipher;

  // nullptr when `id` is not in the ring.
  const Key* data_key(uint32_t id) const;

  std::string region_;
  Key pseudonym_key_;
  uint32_t active_id_;
  std::map<uint32_t, Key> data_keys_;
};

}  // namespace fleetgate::privacy
