// Per-vehicle data keys, for erasure by crypto-shredding. A vehicle's personal data is sealed under
// a key of its own (FieldCipher envelope version 2), created on first use and kept in a key store
// apart from the data store, wrapped by the region's active data key. destroy() deletes the key
// (and, in the embedded store, rewrites the store's files so none holds it) and leaves an erasure
// marker: every copy of the vehicle's sealed data, a copy of the data store taken before the
// erasure included, then stays sealed for good, and for kErasureQuietMs no new key is made, so
// data of the vehicle still in flight cannot be sealed readable again. Thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "fleetgate/core/result.h"
#include "fleetgate/privacy/field_cipher.h"
#include "fleetgate/privacy/keyring.h"
#include "fleetgate/store/kv_store.h"

namespace fleetgate::privacy {

// The embedded key store's folder in a region's data dir.
inline constexpr std::string_view kVehicleKeysDirName = "vehicle-keys";
// How long a node trusts a key it read from a key store other nodes share: another node's
// erasure reaches its reads and writes within this time.
inline constexpr int64_t kSharedKeyCacheMs = 5'000;
// After an erasure, for_sealing refuses to make the vehicle a new key for this long: longer than
// a frame, a group commit or a materializer round takes, much shorter than re-registering a car.
inline constexpr int64_t kErasureQuietMs = 10 * 60'000;

class VehicleKeys {
 public:
  // ms since the Unix epoch; tests pass their own.
  using Clock = std::function<int64_t()>;
  // Keys wrapped by `region_keys` in `store`, which holds nothing else. `clock` dates erasures
  // (default: the system clock).
  VehicleKeys(std::shared_ptr<const RegionKeys> region_keys, std::unique_ptr<store::KvStore> store, Clock clock = {});
  ~VehicleKeys();
  VehicleKeys(const VehicleKeys&) = delete;
  VehicleKeys& operator=(const VehicleKeys&) = delete;

  // The key store of <region_dir>/vehicle-keys (RocksDB), created on first use. One process opens
  // a folder once: while the object lives, opening the same folder again returns it. Errors of
  // store::open_embedded.
  static Result<std::shared_ptr<VehicleKeys>> open_embedded(const std::filesystem::path& region_dir,
                                                            std::shared_ptr<const RegionKeys> region_keys);

  const std::string& region() const { return region_keys_->region(); }

  // The vehicle's current key, created and stored durably first when it has none (the generation
  // after an erased one's). kFailedPrecondition "... was erased" within kErasureQuietMs of an
  // erasure; kUnavailable when the store fails; kInternal when OpenSSL does; kDataLoss for a stored
  // key that does not open.
  Result<VehicleDataKey> for_sealing(std::string_view pseudonym);
  // The vehicle's key of `generation`; kNotFound "... was erased" when an erasure destroyed it;
  // kDataLoss when the key store never held it (a lost or replaced key store is not an erasure).
  // Other errors as for_sealing().
  Result<VehicleDataKey> for_opening(std::string_view pseudonym, uint32_t generation);

  // Deletes the vehicle's key for good and rewrites the store's files so that no file of it holds
  // the key any more (see the README on the PostgreSQL store and on backups). The next
  // for_sealing() creates a key of the next generation. The generation destroyed; nullopt when
  // the vehicle had no key (erasing twice is harmless). kUnavailable when the store fails.
  Result<std::optional<uint32_t>> destroy(std::string_view pseudonym);

 private:
  struct Cached {
    VehicleDataKey key;
    int64_t loaded_ms = 0;
  };
  struct ErasureMarker {
    uint32_t generation = 0;  // the last generation destroyed
    int64_t erased_ms = 0;
  };
  // The stored key, or nullopt; reads the store.
  Result<std::optional<VehicleDataKey>> load(std::string_view pseudonym) const;
  Result<std::optional<ErasureMarker>> marker(std::string_view pseudonym) const;
  // kNotFound "erased" when the marker covers `generation`, else kDataLoss.
  Status missing(std::string_view pseudonym, uint32_t generation) const;
  // The cached key when it may still be trusted, and the cache's epoch as it read it.
  std::optional<VehicleDataKey> cached(std::string_view pseudonym, uint64_t* epoch = nullptr) const;
  // Caches `key` unless a destroy() ran since `epoch` (its read may predate the destroy).
  void remember(std::string_view pseudonym, const VehicleDataKey& key, uint64_t epoch);

  std::shared_ptr<const RegionKeys> region_keys_;
  FieldCipher wrapper_;
  std::unique_ptr<store::KvStore> store_;
  Clock clock_;
  std::mutex create_mu_;  // one creation at a time in this process; write_if guards across nodes
  mutable std::mutex mu_;
  std::unordered_map<std::string, Cached> cache_;
  uint64_t epoch_ = 0;  // destroy() calls so far; guarded by mu_
};

}  // namespace fleetgate::privacy
