#include "fleetgate/query_store/block_table_reader.h"

#include <optional>
#include <vector>

#include "fleetgate/privacy/pseudonymiser.h"
#include "fleetgate/telemetry/store_key.h"

namespace fleetgate::query_store {
namespace {

class BlockIterator : public store::KvIterator {
 public:
  // An iterator that is already at its end, with `status`.
  explicit BlockIterator(Status status) : status_(std::move(status)), done_(true) {}
  // One vehicle's blocks from `from` on.
  BlockIterator(const QueryStore& store, std::string pseudonym, BlockPosition from, size_t page)
      : store_(&store), pseudonym_(std::move(pseudonym)), from_(from), page_(page) {
    load();
  }
  // Every vehicle's blocks.
  BlockIterator(const QueryStore& store, size_t page) : store_(&store), every_vehicle_(true), page_(page) { load(); }

  bool valid() const override { return at_ < rows_.size(); }
  std::string_view key() const override { return key_; }
  std::string_view value() const override { return rows_[at_].block; }
  void next() override {
    if (++at_ < rows_.size()) {
      set_key();
    } else if (!done_) {
      load();
    }
  }
  Status status() const override { return status_; }

 private:
  void load() {
    std::optional<BlockRow> last;
    if (every_vehicle_ && !rows_.empty()) last = std::move(rows_.back());
    rows_.clear();
    at_ = 0;
    auto page = every_vehicle_ ? store_->scan_all(last, page_)
                               : store_->scan(pseudonym_, from_, std::numeric_limits<int64_t>::max(), page_);
    if (!page.is_ok()) {
      status_ = page.status();
      done_ = true;
      return;
    }
    rows_ = std::move(page).value();
    done_ = rows_.size() < page_;
    if (rows_.empty()) return;
    from_ = next_position(rows_.back().created_at_ms, rows_.back().seq);
    set_key();
  }
  void set_key() {
    const BlockRow& row = rows_[at_];
    key_ = telemetry::encode_store_key(every_vehicle_ ? row.pseudonym : pseudonym_, row.created_at_ms, row.seq);
  }

  const QueryStore* store_ = nullptr;
  bool every_vehicle_ = false;
  std::string pseudonym_;
  BlockPosition from_;
  size_t page_ = 0;
  std::vector<BlockRow> rows_;
  size_t at_ = 0;
  std::string key_;
  Status status_ = Status::ok();
  bool done_ = false;
};

}  // namespace

Result<std::string> BlockTableReader::get(std::string_view key) const {
  auto k = telemetry::decode_store_key(key);
  if (!k.is_ok()) return not_found("no query store block under a key that is not a record key");
  auto rows = store_.scan(k->pseudonym, {k->created_at_ms, k->seq}, k->created_at_ms, 1);
  if (!rows.is_ok()) return rows.status();
  if (rows->empty() || rows->front().seq != k->seq) return not_found("no query store block under that key");
  return std::move(rows->front().block);
}

std::unique_ptr<store::KvIterator> BlockTableReader::scan(std::string_view prefix, std::string_view start) const {
  if (prefix == privacy::kPseudonymPrefix) {
    if (!start.empty()) {
      return std::make_unique<BlockIterator>(invalid_argument("query store: a scan of every vehicle starts at the first"));
    }
    return std::make_unique<BlockIterator>(store_, page_);
  }
  const size_t zero = prefix.find('\0');
  if (prefix.empty() || zero != prefix.size() - 1) {
    return std::make_unique<BlockIterator>(
        invalid_argument("the query store scans one vehicle's blocks at a time, by its store key prefix"));
  }
  std::string pseudonym(prefix.substr(0, zero));
  BlockPosition from;
  if (start > prefix) {
    auto k = telemetry::decode_store_key(start);
    if (!k.is_ok() || k->pseudonym != pseudonym) {
      return std::make_unique<BlockIterator>(invalid_argument("query store scan: a start key not of the prefix's vehicle"));
    }
    from = {k->created_at_ms, k->seq};
  }
  return std::make_unique<BlockIterator>(store_, std::move(pseudonym), from, page_);
}

}  // namespace fleetgate::query_store
