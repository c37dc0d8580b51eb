#include "fleetgate/app/vehicle_data.h"

#include <boost/json.hpp>
#include <cstdint>
#include <limits>

#include "fleetgate/core/csv_text.h"
#include "fleetgate/core/json_text.h"
#include "fleetgate/telemetry/catalogue.h"
#include "fleetgate/telemetry/json_format.h"
#include "fleetgate/transfer/cross_border.h"

namespace fleetgate::app {
namespace {

namespace json = boost::json;

constexpr const char* kJson = "application/json";
constexpr const char* kCsv = "text/csv; charset=utf-8";

std::string_view part_name(DataPart p) {
  switch (p) {
    case DataPart::kAll: return "all";
    case DataPart::kVehicle: return "vehicle";
    case DataPart::kTelemetry: return "telemetry";
    case DataPart::kUsage: return "usage";
    case DataPart::kTransfers: return "transfers";
  }
  return "all";
}

// A scalar JSON value as a CSV field; arrays as their elements joined by ';'.
std::string csv_value(const json::value& v) {
  if (v.is_string()) return csv_field(v.as_string());
  if (v.is_null()) return "";
  if (v.is_array()) {
    std::string joined;
    for (const auto& e : v.as_array()) {
      if (!joined.empty()) joined += ";";
      joined += e.is_string() ? std::string(e.as_string()) : json_text(e);
    }
    return csv_field(joined);
  }
  return csv_field(json_text(v));
}

// Rows of objects with the keys of `columns`, header first.
std::string csv_rows(const std::vector<std::string_view>& columns, const json::array& rows) {
  std::string out;
  for (size_t i = 0; i < columns.size(); ++i) out += (i ? "," : "") + std::string(columns[i]);
  out += "\n";
  for (const auto& row : rows) {
    const json::object& o = row.as_object();
    for (size_t i = 0; i < columns.size(); ++i) {
      const json::value* v = o.if_contains(columns[i]);
      out += (i ? "," : "") + (v != nullptr ? csv_value(*v) : std::string());
    }
    out += "\n";
  }
  return out;
}

std::string datum_text(const telemetry::Value& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>) return x;
        else if constexpr (std::is_same_v<T, int64_t>) return std::to_string(x);
        else if constexpr (std::is_same_v<T, double>) return json_number(x);
        else if constexpr (std::is_same_v<T, bool>) return x ? "true" : "false";
        else return json_number(x.lat) + " " + json_number(x.lon) + (x.heading ? " " + json_number(*x.heading) : "");
      },
      v);
}

std::string telemetry_csv(const std::vector<telemetry::Record>& records) {
  std::string out = "created_at,seq,field,value\n";
  for (const auto& r : records) {
    for (const auto& d : r.data) {
      out += std::to_string(r.created_at_ms) + "," + std::to_string(r.seq) + "," +
             std::string(telemetry::spec(d.field).name) + "," + csv_field(datum_text(d.value)) + "\n";
    }
  }
  return out;
}

json::object usage_json(const ledger::UsageRecord& u) {
  return json::object{{"time_ms", u.time_ms},
                      {"request_id", u.request_id},
                      {"market", u.market},
                      {"feature", u.feature},
                      {"provider", u.provider},
                      {"model", u.model},
                      {"prompt_tokens", u.prompt_tokens},
                      {"completion_tokens", u.completion_tokens},
                      {"cached_tokens", u.cached_tokens},
                      {"reasoning_tokens", u.reasoning_tokens},
                      {"tool_calls", u.tool_calls},
                      {"refused_tool_calls", u.refused_tool_calls},
                      {"outcome", u.outcome},
                      {"latency_us", u.latency_us}};
}
const std::vector<std::string_view> kUsageColumns = {
    "time_ms",          "request_id",    "market",           "feature",    "provider",           "model",
    "prompt_tokens",    "completion_tokens", "cached_tokens", "reasoning_tokens", "tool_calls", "refused_tool_calls",
    "outcome",          "latency_us"};
const std::vector<std::string_view> kTransferColumns = {"id", "dest_region", "purpose", "legal_basis",
                                                        "fields", "state", "exported_ms"};
const std::vector<std::string_view> kVehicleColumns = {
    "vin",   "market",     "region",          "label",         "manufacturer", "wmi",       "origin_country",
    "plant_code", "plant", "model_year", "check_digit_valid", "registered_ms", "updated_ms", "providers"};

Result<std::string> pseudonym_of(const DataSources& s) {
  telemetry::RegionTelemetry* t = s.ingest.region(s.vehicle.region);
  if (t == nullptr) return failed_precondition("region '" + s.vehicle.region + "' keeps no telemetry on this node");
  return t->codec().pseudonym(s.vehicle.vin);
}

Result<json::array> usage_rows(const DataSources& s, const std::string& pseudonym, int64_t since_ms) {
  json::array rows;
  Status scanned = s.usage.scan(since_ms, std::numeric_limits<int64_t>::max(),
                                [&](const ledger::UsageRecord& u) {
                                  if (u.vehicle_pseudonym == pseudonym) rows.push_back(usage_json(u));
                                  return Status::ok();
                                });
  if (!scanned.is_ok()) return scanned;
  return rows;
}

Result<json::array> transfer_rows(const DataSources& s, const std::string& pseudonym, int64_t since_ms) {
  auto carried = transfer::transfers_carrying(s.region_store, pseudonym);
  if (!carried.is_ok()) return carried.status();
  json::array rows;
  for (const auto& c : *carried) {
    if (c.time_ms < since_ms) continue;
    auto t = s.transfers.get(c.transfer_id);
    if (!t.is_ok()) return t.status();
    json::array fields;
    for (const auto& f : t->request.fields) fields.emplace_back(f);
    rows.push_back(json::object{{"id", t->id},
                                {"dest_region", t->request.dest_region},
                                {"purpose", t->request.purpose},
                                {"legal_basis", t->request.legal_basis},
                                {"fields", std::move(fields)},
                                {"state", transfer::to_string(t->state)},
                                {"exported_ms", c.time_ms}});
  }
  return rows;
}

}  // namespace

Result<DataRequest> parse_data_request(std::string_view part_text, std::string_view format_text,
                                       std::string_view cursor) {
  DataRequest r;
  const std::string part(part_text);
  if (part == "all") r.part = DataPart::kAll;
  else if (part == "vehicle") r.part = DataPart::kVehicle;
  else if (part == "telemetry") r.part = DataPart::kTelemetry;
  else if (part == "usage") r.part = DataPart::kUsage;
  else if (part == "transfers") r.part = DataPart::kTransfers;
  else return invalid_argument("part: expected all, vehicle, telemetry, usage or transfers, not '" + part + "'");
  const std::string format(format_text);
  if (format != "json" && format != "csv") return invalid_argument("format: expected json or csv, not '" + format + "'");
  r.csv = format == "csv";
  if (r.csv && r.part == DataPart::kAll) return invalid_argument("format=csv needs one part: vehicle, telemetry, usage or transfers");
  r.cursor = std::string(cursor);
  if (!r.cursor.empty() && r.part != DataPart::kTelemetry) return invalid_argument("cursor: only with part=telemetry");
  return r;
}

Result<DataDocument> vehicle_data(const DataSources& s, const http::Principal& reader, const DataRequest& request) {
  if (request.telemetry_only && request.part != DataPart::kTelemetry) {
    return permission_denied("a third party reads the telemetry fields of its grant: ask part=telemetry, not part=" +
                             std::string(part_name(request.part)));
  }
  DataDocument doc;
  doc.content_type = request.csv ? kCsv : kJson;
  json::object all{{"object", "vehicle.data"}, {"vin", s.vehicle.vin}, {"region", s.vehicle.region}};

  if (request.part == DataPart::kAll || request.part == DataPart::kTelemetry) {
    telemetry::TelemetryQuery q;
    q.vin = s.vehicle.vin;
    q.from_ms = request.since_ms;
    q.fields = request.fields;
    q.limit = kDataPageRecords;
    q.cursor = request.cursor;
    auto page = s.ingest.query(reader, q);
    if (!page.is_ok()) return page.status();
    // Records left without a value by the field filter say nothing the reader may see.
    if (!request.fields.empty()) std::erase_if(page->records, [](const telemetry::Record& r) { return r.data.empty(); });
    doc.next_cursor = page->next_cursor;
    if (request.csv) {
      doc.body = telemetry_csv(page->records);
      return doc;
    }
    json::array records;
    for (const auto& r : page->records) records.push_back(telemetry::to_json(r));
    all["telemetry"] = json::object{{"records", std::move(records)},
                                    {"next_cursor", page->next_cursor.empty() ? json::value(nullptr) : json::value(page->next_cursor)}};
  }
  if (request.part == DataPart::kAll || request.part == DataPart::kVehicle) {
    json::object v = vehicle::to_json(s.vehicle);
    if (request.csv) {
      doc.body = csv_rows(kVehicleColumns, json::array{v});
      return doc;
    }
    all["vehicle"] = std::move(v);
  }
  if (request.part == DataPart::kAll || request.part == DataPart::kUsage || request.part == DataPart::kTransfers) {
    auto pseudonym = pseudonym_of(s);
    if (!pseudonym.is_ok()) return pseudonym.status();
    if (request.part != DataPart::kTransfers) {
      auto rows = usage_rows(s, *pseudonym, request.since_ms);
      if (!rows.is_ok()) return rows.status();
      if (request.csv) {
        doc.body = csv_rows(kUsageColumns, *rows);
        return doc;
      }
      all["usage"] = std::move(rows).value();
    }
    if (request.part != DataPart::kUsage) {
      auto rows = transfer_rows(s, *pseudonym, request.since_ms);
      if (!rows.is_ok()) return rows.status();
      if (request.csv) {
        doc.body = csv_rows(kTransferColumns, *rows);
        return doc;
      }
      all["transfers"] = std::move(rows).value();
    }
  }
  doc.body = json_text(all);
  return doc;
}

}  // namespace fleetgate::app
