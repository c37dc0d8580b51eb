// A region's objects in its PostgreSQL, shared by every node of the region: curated datasets,
// model artifacts and imported transfers, which an embedded region keeps in its RocksDB store
// (`<region.data_dir>/store`). The KvStore contract of store/pg_store.h over the table
// region_objects of the region schema (region_schema.h).
#pragma once

#include <memory>
#include <string>

#include "fleetgate/core/result.h"
#include "fleetgate/store/kv_store.h"

namespace fleetgate::query_store {

// kUnavailable when the database cannot be reached; kFailedPrecondition when its schema is not
// this binary's (run migrate_region_pg, `fleetgate migrate`).
Result<std::unique_ptr<store::KvStore>> open_region_objects(const std::string& dsn);

}  // namespace fleetgate::query_store
