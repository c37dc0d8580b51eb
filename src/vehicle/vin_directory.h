// The global directory: in which region each registered VIN is homed, for operators who hold a
// VIN and must find the region that serves it. It is the one piece of fleet state every region
// shares, so it holds no VIN: an entry is "directory/vin/<pseudonym>" -> region id, the pseudonym
// being HMAC-SHA256 of the VIN under the directory's key (privacy/pseudonymiser.h, with a key of
// its own that no region's data is pseudonymised with). It lives in the control store (embedded)
// or in a database all regions share ([directory] dsn_env).
//
// In the control store, the registry writes an entry in the same commit as the registration it
// serves (record_with). In a database of its own, it writes the entry before the registration
// (idempotent put, so a retry writes the same bytes); a registration that then fails leaves an
// entry naming a region with no such vehicle: harmless, since the directory only says where to
// ask, and that region's registry answers "not registered". A rehome that fails after its entry
// moved points at the new region until the rehome is retried.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fleetgate/core/result.h"
#include "fleetgate/privacy/pseudonymiser.h"
#include "fleetgate/store/kv_store.h"

namespace fleetgate::vehicle {

inline constexpr std::string_view kDirectoryPrefix = "directory/vin/";

class VinDirectory {
 public:
  // REQUIRES: `store` outlives the directory. `names` pseudonymises under the directory key.
  VinDirectory(store::KvStore& store, privacy::Pseudonymiser names) : store_(store), names_(std::move(names)) {}

  // Records each (VIN, region id) pair in one atomic write; a pair already recorded is rewritten
  // unchanged, a VIN recorded under another region moves (rehome).
  Status record(const std::vector<std::pair<std::string, std::string>>& vin_regions);
  // The same entries put in `change` when the directory lives in `change_store`, the store that
  // `change` is for, so that they commit with it; otherwise recorded now (record()).
  Status record_with(const std::vector<std::pair<std::string, std::string>>& vin_regions,
                     const store::KvReader& change_store, store::WriteBatch& change);
  // The region `vin` was recorded in; kNotFound when it never was.
  Result<std::string> locate(std::string_view vin) const;

 private:
  Result<std::string> key_of(std::string_view vin) const;
  Status put_entries(const std::vector<std::pair<std::string, std::string>>& vin_regions, store::WriteBatch& batch) const;

  store::KvStore& store_;
  privacy::Pseudonymiser names_;
};

}  // namespace fleetgate::vehicle
