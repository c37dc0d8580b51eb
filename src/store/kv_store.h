// Key-value storage interfaces. Keys and values are byte strings ordered bytewise. A KvReader
// reads (point lookups and prefix scans); a KvStore also writes, always through an atomic
// WriteBatch, durably by default. Backends: embedded RocksDB (embedded_store.h) and PostgreSQL
// (pg_store.h), which pass the same service-level tests (ctest's "pg." copies run them on PostgreSQL).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fleetgate/core/result.h"

namespace fleetgate::store {

// Walks the entries of one scan in ascending key order. Not thread-safe.
// REQUIRES: the store the iterator came from outlives it.
class KvIterator {
 public:
  virtual ~KvIterator() = default;
  // True while positioned on an entry; false at the end of the range or after an error.
  virtual bool valid() const = 0;
  // REQUIRES: valid(). The views stay good until the next call to next().
  virtual std::string_view key() const = 0;
  virtual std::string_view value() const = 0;
  virtual void next() = 0;
  // Non-OK when iteration stopped on an error rather than at the end (kDataLoss for corruption).
  virtual Status status() const = 0;
};

class KvReader {
 public:
  virtual ~KvReader() = default;
  // The value stored under `key`; kNotFound when absent, kDataLoss on corruption.
  virtual Result<std::string> get(std::string_view key) const = 0;
  // The values under `keys`, in their order: nullopt where a key holds none. Errors as get's.
  // One round trip per many keys where the backend is remote (PostgreSQL); a loop of get here.
  virtual Result<std::vector<std::optional<std::string>>> get_many(const std::vector<std::string>& keys) const;
  // Entries whose key starts with `prefix`, from the first key >= max(prefix, start).
  virtual std::unique_ptr<KvIterator> scan(std::string_view prefix, std::string_view start = {}) const = 0;
};

// An ordered list of puts and removes applied all together or not at all.
class WriteBatch {
 public:
  enum class Op { kPut, kRemove };
  struct Entry {
    Op op;
    std::string key;
    std::string value;  // empty for kRemove
  };

  WriteBatch& put(std::string_view key, std::string_view value);
  // put() taking the strings over instead of copying them (large values on the ingest path).
  WriteBatch& put_moved(std::string&& key, std::string&& value);
  WriteBatch& remove(std::string_view key);
  // Moves every entry of `other` to the end of this batch, keeping their order.
  WriteBatch& append(WriteBatch&& other);
  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
};

struct WriteOptions {
  // Default true: the write is on stable storage (WAL fsynced) before the call returns, so an
  // OK is a durable acknowledgement. False trades crash durability of the last writes for speed.
  bool sync = true;
};

// Held while it lives: see KvStore::lock.
class KvLock {
 public:
  virtual ~KvLock() = default;
};

// Thread-safe: concurrent reads and writes are allowed; each write() is atomic.
class KvStore : public KvReader {
 public:
  // Applies every entry of `batch` atomically; an empty batch is a no-op.
  virtual Status write(const WriteBatch& batch, WriteOptions options = {}) = 0;
  // Applies `batch` durably and atomically only if `key` holds `expected` (nullopt: absent) when
  // it commits; otherwise writes nothing and returns kAborted. Conditional writes of one key are
  // serialized across every process using the store (the audit chain's head uses this so that
  // two nodes never fork it).
  virtual Status write_if(std::string_view key, const std::optional<std::string>& expected, const WriteBatch& batch) = 0;
  // A consistent read-only view of the store as of now; later writes are invisible to it.
  // REQUIRES: the store outlives the snapshot.
  virtual std::unique_ptr<KvReader> snapshot() const = 0;

  // Waits until no other process holds the lock named `name`, and holds it until the result is
  // destroyed: processes sharing the store take turns deciding (the audit chain's transactions).
  // Stores only one process opens need none: nullptr. At most one per thread at a time.
  virtual Result<std::unique_ptr<KvLock>> lock(std::string_view name) {
    (void)name;
    return std::unique_ptr<KvLock>();
  }

  // Deferred durability, per calling thread (AuditLog::transact uses it, so that decisions do not
  // hold their turn while the disk syncs). Between begin_deferred_sync() and the matching
  // end_deferred_sync(), this thread's writes may return OK once every reader can see them but
  // before they are durable; end_deferred_sync() returns OK once all of them are durable, and
  // only then may they be acknowledged. kUnavailable from it: whether they were stored is unknown
  // (read them back). A crash before then loses them, and every later write too. Pairs nest;
  // only the outermost end waits. Default: writes are durable when they return, so both do nothing.
  virtual void begin_deferred_sync() {}
  virtual Status end_deferred_sync() { return Status::ok(); }

  // True when other processes may write this store too (a database several nodes share): what a
  // process caches of it may be stale, so caches of it must not be trusted.
  virtual bool shared() const { return false; }

  // Rewrites the store's files now, which also enforces its retention (embedded_store.h).
  // Backends that reclaim space on their own return OK at once.
  virtual Status compact() { return Status::ok(); }

  Status put(std::string_view key, std::string_view value, WriteOptions options = {});
  Status remove(std::string_view key, WriteOptions options = {});
};

}  // namespace fleetgate::store
