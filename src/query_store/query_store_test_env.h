// Shared by the query store tests: a throwaway PostgreSQL (tests/support/pg_server.h) migrated
// for a region's query store, and vehicles' records sealed by the region's real codec.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "fleetgate/privacy/test_keys.h"
#include "fleetgate/query_store/query_store.h"
#include "fleetgate/query_store/region_schema.h"
#include "fleetgate/telemetry/record_codec.h"
#include "fleetgate/telemetry/store_key.h"
#include "fleetgate/telemetry/test_records.h"
#include "support/pg_server.h"

namespace fleetgate::query_store {

inline const std::vector<std::string> kVins = {"1HGCM82633A004352", "WVWZZZ1JZXW000001", "WVWZZZ1JZXW000002",
                                               "WVWZZZ1JZXW000003"};

// `n` records of `vin`, `step_ms` apart from `start_ms`, seq from `first_seq`, each with a speed
// of its index, so a test can tell them apart.
inline std::vector<telemetry::Record> records_of(const std::string& vin, int64_t start_ms, size_t n, uint64_t first_seq,
                                                 int64_t step_ms = 1000) {
  std::vector<telemetry::Record> out;
  for (size_t i = 0; i < n; ++i) {
    telemetry::Record r = telemetry::sample_record();
    r.vin = vin;
    r.created_at_ms = start_ms + static_cast<int64_t>(i) * step_ms;
    r.seq = first_seq + i;
    r.data.at(0).value = static_cast<double>(i);  // sample_record's first datum is the speed
    out.push_back(std::move(r));
  }
  return out;
}

// `records` sealed by `codec` into blocks, each under its store key's (pseudonym, created_at, seq).
inline std::vector<BlockRow> seal(const telemetry::RecordCodec& codec, const std::vector<telemetry::Record>& records) {
  std::vector<telemetry::StoredForm> forms;
  EXPECT_TRUE(codec.encode(records, *codec.pseudonym(records.front().vin), forms).is_ok());
  std::vector<BlockRow> out;
  for (telemetry::StoredForm& f : forms) {
    auto key = telemetry::decode_store_key(f.key);
    EXPECT_TRUE(key.is_ok());
    out.push_back({key->pseudonym, key->created_at_ms, key->seq, std::move(f.value)});
  }
  return out;
}

// A region database with the query store's schema, and a store open on it.
class QueryStoreDb {
 public:
  QueryStoreDb() {
    if (pg_.dsn().empty()) return;
    auto migrated = migrate_region_pg(pg_.dsn());
    EXPECT_TRUE(migrated.is_ok()) << migrated.status().to_string();
    store_ = open();
  }
  bool ok() const { return store_ != nullptr; }
  const std::string& dsn() const { return pg_.dsn(); }
  QueryStore& store() { return *store_; }
  testing::PgServer& server() { return pg_; }  // to stop and start it under the store
  std::unique_ptr<QueryStore> open() const {
    auto opened = QueryStore::open(pg_.dsn());
    EXPECT_TRUE(opened.is_ok()) << opened.status().to_string();
    return opened.is_ok() ? std::move(opened).value() : nullptr;
  }

 private:
  testing::PgServer pg_;
  std::unique_ptr<QueryStore> store_;
};

}  // namespace fleetgate::query_store
