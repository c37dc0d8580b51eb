#include "fleetgate/query_store/region_objects.h"

#include "fleetgate/query_store/region_schema.h"
#include "fleetgate/store/pg_store.h"

namespace fleetgate::query_store {

Result<std::unique_ptr<store::KvStore>> open_region_objects(const std::string& dsn) {
  return store::open_pg_table(dsn, "region_objects", check_region_schema);
}

}  // namespace fleetgate::query_store
