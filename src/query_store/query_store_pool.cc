#include "fleetgate/query_store/query_store_pool.h"

namespace fleetgate::query_store {

QueryStorePool::Lease::~Lease() {
  if (store_) pool_->give_back(std::move(store_));
}

Result<QueryStorePool::Lease> QueryStorePool::borrow() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      std::unique_ptr<QueryStore> store = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(store));
    }
  }
  auto opened = QueryStore::open(dsn_);
  if (!opened.is_ok()) return opened.status();
  return Lease(*this, std::move(opened).value());
}

void QueryStorePool::give_back(std::unique_ptr<QueryStore> store) {
  std::lock_guard lock(mu_);
  if (idle_.size() < max_idle_) idle_.push_back(std::move(store));
}

}  // namespace fleetgate::query_store
