// One vehicle's data for its owner (GDPR Art. 15 and 20, PIPL Art. 45, EU Data Act Art. 4) and for
// the third parties the owner shares fields with (Data Act Art. 5), read in the vehicle's home
// region and answered from there, with no cross-border path: its registry record, its telemetry
// with personal fields in clear, its assistant usage and the transfers whose export carried it. A
// third party reads the telemetry fields of its grant and nothing else. JSON (one document) or CSV
// (one part per document); the schemas are in docs/openapi.json (VehicleDataExport).
#pragma once

#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "fleetgate/core/result.h"
#include "fleetgate/http/message.h"
#include "fleetgate/ledger/usage_log.h"
#include "fleetgate/store/kv_store.h"
#include "fleetgate/telemetry/ingest_service.h"
#include "fleetgate/transfer/transfer_service.h"
#include "fleetgate/vehicle/vehicle_record.h"

namespace fleetgate::app {

enum class DataPart { kAll, kVehicle, kTelemetry, kUsage, kTransfers };

struct DataRequest {
  DataPart part = DataPart::kAll;
  bool csv = false;            // CSV needs one part, not kAll
  std::string cursor;          // telemetry: the next_cursor of the previous page
  std::vector<telemetry::Field> fields;  // telemetry fields to keep; empty: every field
  bool telemetry_only = false;           // a third party: parts other than telemetry are refused
  // Nothing from before: the owner's since (a previous owner's data is not theirs).
  int64_t since_ms = std::numeric_limits<int64_t>::min();
};

// Where the vehicle's data is, in its home region. REQUIRES: every reference outlives the call.
struct DataSources {
  const vehicle::VehicleRecord& vehicle;
  telemetry::IngestService& ingest;
  const ledger::UsageLog& usage;
  transfer::TransferService& transfers;
  const store::KvReader& region_store;
};

struct DataDocument {
  std::string body;
  std::string content_type;  // application/json or text/csv; charset=utf-8
  std::string next_cursor;   // telemetry: the cursor of the next page; empty on the last
};

// Telemetry records per document; the next page follows next_cursor.
inline constexpr size_t kDataPageRecords = 10000;

// The request the query parameters of GET /v1/vehicles/{vin}/data name: part (all, vehicle,
// telemetry, usage, transfers), format (json, csv), cursor. kInvalidArgument naming the parameter.
Result<DataRequest> parse_data_request(std::string_view part, std::string_view format, std::string_view cursor);

// The document `request` asks for. `reader` is who reads (the owner's or third party's principal,
// scoped to the vehicle's home region). kInvalidArgument for CSV of all parts or a bad cursor;
// kPermissionDenied for a part a third party may not read.
Result<DataDocument> vehicle_data(const DataSources& sources, const http::Principal& reader, const DataRequest& request);

}  // namespace fleetgate::app
