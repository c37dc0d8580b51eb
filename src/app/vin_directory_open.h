// Opens the global VIN directory (vehicle/vin_directory.h) a config names. Its key never comes
// from the TOML: 64 hex digits from $<[directory] key_env>, else the text of [directory] key_file
// (a regular file of this user, mode 0600). With neither, an embedded deployment keeps the key in
// the keyring <server.data_dir>/privacy.keyring (region "directory"), created on first use; a
// directory that several nodes share (a postgres control plane, or [directory] dsn_env) needs
// one of the first two, since every node must hold the same key (kFailedPrecondition otherwise).
// Its store is the control store, or with [directory] dsn_env the PostgreSQL database whose
// connection string that variable holds.
#pragma once

#include <memory>
#include <string>

#include "fleetgate/core/config.h"
#include "fleetgate/core/result.h"
#include "fleetgate/store/kv_store.h"
#include "fleetgate/vehicle/vin_directory.h"

namespace fleetgate::app {

struct OpenedDirectory {
  std::unique_ptr<store::KvStore> own_store;  // the directory database; null: in the control store
  std::unique_ptr<vehicle::VinDirectory> directory;
};

// REQUIRES: `control` outlives the result.
Result<OpenedDirectory> open_vin_directory(const config::Config& cfg, store::KvStore& control);

// The directory database's connection string, from $<[directory] dsn_env>.
// REQUIRES: [directory] dsn_env is set.
Result<std::string> directory_dsn(const config::Config& cfg);

}  // namespace fleetgate::app
