#include "fleetgate/assistant/cancel_token.h"

#include <utility>

namespace fleetgate::assistant {

void CancelToken::cancel() {
  std::map<uint64_t, std::function<void()>> to_run;
  {
    std::lock_guard lock(mu_);
    if (cancelled_) return;
    cancelled_ = true;
    firing_ = true;
    to_run.swap(callbacks_);
  }
  for (auto& [id, fn] : to_run) fn();
  {
    std::lock_guard lock(mu_);
    firing_ = false;
  }
  cv_.notify_all();
}

bool CancelToken::cancelled() const {
  std::lock_guard lock(mu_);
  return cancelled_;
}

uint64_t CancelToken::on_cancel(std::function<void()> fn) const {
  {
    std::lock_guard lock(mu_);
    if (!cancelled_) {
      uint64_t id = next_id_++;
      callbacks_.emplace(id, std::move(fn));
      return id;
    }
  }
  fn();
  return 0;
}

void CancelToken::forget(uint64_t id) const {
  std::unique_lock lock(mu_);
  callbacks_.erase(id);
  // A concurrent cancel() may be running this very callback: wait until it has finished.
  cv_.wait(lock, [&] { return !firing_; });
}

CancelSubscription::CancelSubscription(const CancelToken& token, std::function<void()> fn)
    : token_(token), id_(token.on_cancel(std::move(fn))) {}

CancelSubscription::~CancelSubscription() { token_.forget(id_); }

}  // namespace fleetgate::assistant
