// The manifest of a transfer bundle (manifest.json): what the bundle holds and the SHA-256 of
// every content file. The manifest's exact bytes are what the source region signs.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "fleetgate/core/result.h"

namespace fleetgate::transfer {

struct Manifest {
  std::string transfer_id;
  std::string source_region;
  std::string dest_region;
  std::string data_class;           // "desensitised" or "model.weights"
  std::vector<std::string> fields;  // desensitised: approved field names
  int64_t from_ms = 0;              // desensitised: the selection's time range
  int64_t to_ms = 0;
  uint64_t records = 0;             // desensitised: records in records.jsonl
  uint64_t vehicles = 0;            // desensitised: distinct transfer pseudonyms
  uint64_t suppressed = 0;          // desensitised: records dropped by the group-size rule
  uint32_t min_group_size = 0;
  std::string artifact;             // model.weights: the artifact's name in the source region
  std::vector<std::string> approvers;
  int64_t created_ms = 0;
  std::map<std::string, std::string> files;  // content file name -> lowercase hex SHA-256
  std::map<std::string, uint64_t> file_bytes;  // content file name -> its size: the most read_bundle reads
  bool operator==(const Manifest&) const = default;
};

boost::json::object to_json(const Manifest& m);
// kDataLoss naming the missing or mistyped key, or when file_bytes and files name other files.
Result<Manifest> manifest_from_json(std::string_view text);

}  // namespace fleetgate::transfer
