#include "fleetgate/store/embedded_store.h"

#include <rocksdb/compaction_filter.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <mutex>
#include <system_error>

namespace fleetgate::store {
namespace {

rocksdb::Slice slice(std::string_view s) { return {s.data(), s.size()}; }
std::string_view view(const rocksdb::Slice& s) { return {s.data(), s.size()}; }

// Maps a RocksDB status onto our codes; `dir` names the database in every message.
Status from_rocksdb(const rocksdb::Status& s, const std::filesystem::path& dir) {
  if (s.ok()) return Status::ok();
  const std::string where = "data dir " + dir.string();
  const std::string detail = s.ToString();
  if (s.IsCorruption()) return data_loss(where + " is corrupted: " + detail);
  // RocksDB guards a database with an fcntl lock on DIR/LOCK, held for as long as it is open.
  if (s.IsIOError() && detail.find("/LOCK") != std::string::npos) {
    return unavailable(where + " is in use by another fleetgate process (" + detail + ")");
  }
  if (s.IsNotFound()) return not_found(where + ": " + detail);
  if (s.IsInvalidArgument()) return invalid_argument(where + ": " + detail);
  if (s.IsIOError() || s.IsBusy() || s.IsTimedOut() || s.IsTryAgain() || s.IsIncomplete()) {
    return unavailable(where + ": " + detail);
  }
  return internal_error(where + ": " + detail);
}

// The smallest key greater than every key starting with `prefix`; empty when none exists.
std::string prefix_end(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xFF) end.pop_back();
  if (!end.empty()) end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  return end;
}

class RocksIterator final : public KvIterator {
 public:
  RocksIterator(rocksdb::DB* db, const rocksdb::Snapshot* snap, std::string_view prefix, std::string_view start,
                std::filesystem::path dir)
      : upper_(prefix_end(prefix)), upper_slice_(upper_), dir_(std::move(dir)) {
    rocksdb::ReadOptions ro;
    ro.snapshot = snap;
    if (!upper_.empty()) ro.iterate_upper_bound = &upper_slice_;
    it_.reset(db->NewIterator(ro));
    it_->Seek(slice(start > prefix ? start : prefix));
  }
  bool valid() const override { return it_->Valid(); }
  std::string_view key() const override { return view(it_->key()); }
  std::string_view value() const override { return view(it_->value()); }
  void next() override { it_->Next(); }
  Status status() const override { return from_rocksdb(it_->status(), dir_); }

 private:
  std::string upper_;
  rocksdb::Slice upper_slice_;  // must outlive it_: ReadOptions keeps a pointer to it
  std::filesystem::path dir_;
  std::unique_ptr<rocksdb::Iterator> it_;
};

Result<std::string> read_key(rocksdb::DB* db, const rocksdb::Snapshot* snap, std::string_view key,
                             const std::filesystem::path& dir) {
  rocksdb::ReadOptions ro;
  ro.snapshot = snap;
  std::string value;
  rocksdb::Status s = db->Get(ro, slice(key), &value);
  if (s.IsNotFound()) return not_found("no value for key '" + std::string(key) + "'");
  if (!s.ok()) return from_rocksdb(s, dir);
  return value;
}

class RocksSnapshot final : public KvReader {
 public:
  RocksSnapshot(rocksdb::DB* db, const std::filesystem::path& dir) : db_(db), snap_(db->GetSnapshot()), dir_(dir) {}
  ~RocksSnapshot() override { db_->ReleaseSnapshot(snap_); }
  RocksSnapshot(const RocksSnapshot&) = delete;
  RocksSnapshot& operator=(const RocksSnapshot&) = delete;

  Result<std::string> get(std::string_view key) const override { return read_key(db_, snap_, key, dir_); }
  std::unique_ptr<KvIterator> scan(std::string_view prefix, std::string_view start) const override {
    return std::make_unique<RocksIterator>(db_, snap_, prefix, start, dir_);
  }

 private:
  rocksdb::DB* db_;
  const rocksdb::Snapshot* snap_;
  std::filesystem::path dir_;
};

// Drops entries older than the retention window when RocksDB compacts the files holding them.
class RetentionFilter final : public rocksdb::CompactionFilter {
 public:
  explicit RetentionFilter(const EmbeddedOptions& options)
      : retention_ms_(options.retention->count()), key_time_(options.key_time), clock_(options.clock) {
    if (!clock_) {
      clock_ = [] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
      };
    }
  }

  bool Filter(int /*level*/, const rocksdb::Slice& key, const rocksdb::Slice& /*value*/, std::string* /*new_value*/,
              bool* /*value_changed*/) const override {
    const std::optional<int64_t> t = key_time_(view(key));
    return t && *t < clock_() - retention_ms_;
  }
  const char* Name() const override { return "fleetgate.RetentionFilter"; }

 private:
  int64_t retention_ms_;
  std::function<std::optional<int64_t>(std::string_view)> key_time_;
  std::function<int64_t()> clock_;
};

// The calling thread's rocksdb::WriteBatch, empty and able to hold `bytes` without growing. It is
// reused from write to write: a fresh buffer per group commit cost a page fault per 4 KiB written
// to it. One that grew beyond kKeptBatchBytes is not kept.
rocksdb::WriteBatch& thread_batch(size_t bytes) {
  constexpr size_t kKeptBatchBytes = 16 << 20;
  thread_local std::unique_ptr<rocksdb::WriteBatch> batch;
  thread_local size_t capacity = 0;
  if (batch == nullptr || bytes > capacity || capacity > kKeptBatchBytes) {
    capacity = bytes;
    batch = std::make_unique<rocksdb::WriteBatch>(capacity);
  } else {
    batch->Clear();
  }
  return *batch;
}

class EmbeddedStore final : public KvStore {
 public:
  EmbeddedStore(std::unique_ptr<rocksdb::DB> db, std::filesystem::path dir, std::unique_ptr<RetentionFilter> filter)
      : filter_(std::move(filter)), db_(std::move(db)), dir_(std::move(dir)) {}

  // A clean close flushes the memtables, so the next open has no write-ahead log to replay (with
  // the log enabled RocksDB does not flush on close, and replaying a month of usage records took
  // longer than settling them). Everything in the log is already durable, so a failed flush
  // loses nothing: the next open replays the log instead.
  ~EmbeddedStore() override {
    rocksdb::FlushOptions fo;
    fo.wait = true;
    (void)db_->Flush(fo);
    (void)db_->Close();
  }

  Result<std::string> get(std::string_view key) const override { return read_key(db_.get(), nullptr, key, dir_); }
  std::unique_ptr<KvIterator> scan(std::string_view prefix, std::string_view start) const override {
    return std::make_unique<RocksIterator>(db_.get(), nullptr, prefix, start, dir_);
  }
  std::unique_ptr<KvReader> snapshot() const override { return std::make_unique<RocksSnapshot>(db_.get(), dir_); }

  Status write(const WriteBatch& batch, WriteOptions options) override {
    if (batch.empty()) return Status::ok();
    size_t bytes = 0;  // reserved up front: growing a large group's buffer copies it again and again
    for (const auto& e : batch.entries()) bytes += e.key.size() + e.value.size() + 16;
    rocksdb::WriteBatch& wb = thread_batch(bytes);
    for (const auto& e : batch.entries()) {
      rocksdb::Status s = e.op == WriteBatch::Op::kPut ? wb.Put(slice(e.key), slice(e.value)) : wb.Delete(slice(e.key));
      if (!s.ok()) return from_rocksdb(s, dir_);
    }
    rocksdb::WriteOptions wo;
    wo.sync = options.sync;
    return from_rocksdb(db_->Write(wo, &wb), dir_);
  }

  // One process owns an embedded store (its directory lock), so a mutex makes conditional writes
  // atomic with respect to each other.
  Status write_if(std::string_view key, const std::optional<std::string>& expected, const WriteBatch& batch) override {
    std::lock_guard lock(conditional_mu_);
    auto current = get(key);
    if (!current.is_ok() && current.status().code() != Code::kNotFound) return current.status();
    const std::optional<std::string> now = current.is_ok() ? std::optional<std::string>(*current) : std::nullopt;
    if (now != expected) return aborted("the value under '" + std::string(key) + "' changed concurrently");
    return write(batch, WriteOptions{.sync = true});
  }

  Status compact() override {
    rocksdb::CompactRangeOptions co;
    co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    return from_rocksdb(db_->CompactRange(co, nullptr, nullptr), dir_);
  }

 private:
  std::unique_ptr<RetentionFilter> filter_;  // declared first: must outlive db_, which uses it
  std::unique_ptr<rocksdb::DB> db_;
  std::filesystem::path dir_;
  std::mutex conditional_mu_;  // serializes write_if
};

}  // namespace

Result<std::unique_ptr<KvStore>> open_embedded(const std::filesystem::path& dir, const EmbeddedOptions& options) {
  if (options.create_if_missing) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return unavailable("cannot create data dir " + dir.string() + ": " + ec.message());
  }
  rocksdb::Options ro;
  ro.create_if_missing = options.create_if_missing;
  ro.paranoid_checks = options.paranoid_checks;
  ro.max_open_files = 256;
  ro.keep_log_file_num = 4;
  std::unique_ptr<RetentionFilter> filter;
  if (options.retention && options.key_time) {
    filter = std::make_unique<RetentionFilter>(options);
    ro.compaction_filter = filter.get();
    ro.periodic_compaction_seconds = 24 * 60 * 60;  // old files get rechecked even when idle
  }
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(ro, dir.string(), &raw);
  if (!s.ok()) return from_rocksdb(s, dir);
  return std::unique_ptr<KvStore>(
      std::make_unique<EmbeddedStore>(std::unique_ptr<rocksdb::DB>(raw), dir, std::move(filter)));
}

}  // namespace fleetgate::store
