// Reads one region's telemetry for a transfer and turns it into records.jsonl: each record
// desensitised (telemetry/desensitise.h: transfer pseudonym, time bucket, approved fields, snapped
// location), one JSON object per line:
//   {"vehicle":"t_…","time_bucket_ms":1700000100000,"data":[{"field":"speed","value":42.5}]}
// Numbers are written as people write them (core/json_text.h): a snapped longitude is 121.475.
// With min_group_size k > 1, records whose (time bucket, location cell) group holds fewer than k
// distinct vehicles are dropped (records without an exported location group by bucket alone).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "fleetgate/core/result.h"
#include "fleetgate/privacy/coarsen.h"
#include "fleetgate/privacy/keyring.h"
#include "fleetgate/store/kv_store.h"
#include "fleetgate/telemetry/catalogue.h"
#include "fleetgate/telemetry/record_codec.h"

namespace fleetgate::transfer {

struct ExportSpec {
  std::string transfer_id;                // keys the transfer pseudonyms
  std::vector<telemetry::Field> fields;   // approved fields
  int64_t from_ms = 0;                    // created_at range, inclusive
  int64_t to_ms = 0;
  std::vector<std::string> vins;          // empty: every vehicle of the region
  uint32_t min_group_size = 0;
};

struct ExportedRecords {
  std::string jsonl;
  uint64_t records = 0;     // lines in jsonl
  uint64_t vehicles = 0;    // distinct transfer pseudonyms among them
  uint64_t suppressed = 0;  // records dropped by the group-size rule
  // The region pseudonyms of those vehicles, sorted: who the records are about (cross_border.h).
  std::vector<std::string> individuals;
};

// Called with (records read, records selected) as the export proceeds.
using ReadProgress = std::function<void(uint64_t done, uint64_t total)>;

// Reads the sealed telemetry in `records` (of the region `codec` seals for: RegionData::records, a
// snapshot of the embedded store or the query store). kDataLoss for a record that cannot
// be decoded; kInvalidArgument for an empty transfer id.
Result<ExportedRecords> export_desensitised(const store::KvReader& records, const telemetry::RecordCodec& codec,
                                            const privacy::Coarsener& coarsener, const ExportSpec& spec,
                                            const ReadProgress& progress = {});

}  // namespace fleetgate::transfer
