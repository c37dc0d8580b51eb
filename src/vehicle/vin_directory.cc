#include "fleetgate/vehicle/vin_directory.h"

namespace fleetgate::vehicle {

Result<std::string> VinDirectory::key_of(std::string_view vin) const {
  auto pseudonym = names_.pseudonym(vin);
  if (!pseudonym.is_ok()) return pseudonym.status();
  return std::string(kDirectoryPrefix) + *pseudonym;
}

Status VinDirectory::put_entries(const std::vector<std::pair<std::string, std::string>>& vin_regions,
                                store::WriteBatch& batch) const {
  for (const auto& [vin, region] : vin_regions) {
    auto key = key_of(vin);
    if (!key.is_ok()) return key.status();
    batch.put(*key, region);
  }
  return Status::ok();
}

Status VinDirectory::record(const std::vector<std::pair<std::string, std::string>>& vin_regions) {
  store::WriteBatch batch;
  if (Status s = put_entries(vin_regions, batch); !s.is_ok()) return s;
  return store_.write(batch);
}

Status VinDirectory::record_with(const std::vector<std::pair<std::string, std::string>>& vin_regions,
                                 const store::KvReader& change_store, store::WriteBatch& change) {
  if (&change_store != static_cast<const store::KvReader*>(&store_)) return record(vin_regions);
  return put_entries(vin_regions, change);
}

Result<std::string> VinDirectory::locate(std::string_view vin) const {
  auto key = key_of(vin);
  if (!key.is_ok()) return key.status();
  auto region = store_.get(*key);
  if (region.status().code() == Code::kNotFound) {
    return not_found("vehicle " + std::string(vin) + " is in no region's directory entry");
  }
  return region;
}

}  // namespace fleetgate::vehicle
