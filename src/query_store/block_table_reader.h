// The query store's blocks as a store::KvReader keyed like the embedded store (store_key.h:
// pseudonym | 0 | created_at | seq), so telemetry::scan_records and count_records, with their
// integrity checks, read it unchanged. A scan's prefix is one vehicle's store_key_prefix, or
// privacy::kPseudonymPrefix for every vehicle's blocks (from the first: no start key); any other
// prefix gets kInvalidArgument from the iterator's status. Pages of blocks are read as the
// iterator advances, so a long scan sees blocks committed meanwhile (it is not one snapshot).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "fleetgate/query_store/query_store.h"
#include "fleetgate/store/kv_store.h"

namespace fleetgate::query_store {

class BlockTableReader : public store::KvReader {
 public:
  // REQUIRES: `store` outlives the reader and its iterators, which use its connection (so not
  // while another thread uses the store).
  explicit BlockTableReader(const QueryStore& store, size_t page_blocks = 256) : store_(store), page_(page_blocks) {}

  Result<std::string> get(std::string_view key) const override;
  std::unique_ptr<store::KvIterator> scan(std::string_view prefix, std::string_view start = {}) const override;

 private:
  const QueryStore& store_;
  const size_t page_;
};

}  // namespace fleetgate::query_store
