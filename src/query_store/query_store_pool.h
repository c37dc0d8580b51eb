// QueryStore connections for many threads: borrow() hands one out for the caller's exclusive use
// and takes it back when the lease ends, opening another when all are out. Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "fleetgate/core/result.h"
#include "fleetgate/query_store/query_store.h"

namespace fleetgate::query_store {

class QueryStorePool {
 public:
  // Returns its store to the pool when destroyed. REQUIRES: the pool outlives the lease.
  class Lease {
   public:
    Lease(QueryStorePool& pool, std::unique_ptr<QueryStore> store) : pool_(&pool), store_(std::move(store)) {}
    ~Lease();
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    QueryStore& operator*() const { return *store_; }
    QueryStore* operator->() const { return store_.get(); }

   private:
    QueryStorePool* pool_;
    std::unique_ptr<QueryStore> store_;
  };

  // Keeps at most `max_idle` connections open while unused.
  explicit QueryStorePool(std::string dsn, size_t max_idle = 8) : dsn_(std::move(dsn)), max_idle_(max_idle) {}

  // An idle store, or a new one (QueryStore::open's errors).
  Result<Lease> borrow();

 private:
  void give_back(std::unique_ptr<QueryStore> store);

  const std::string dsn_;
  const size_t max_idle_;
  std::mutex mu_;
  std::vector<std::unique_ptr<QueryStore>> idle_;
};

}  // namespace fleetgate::query_store
