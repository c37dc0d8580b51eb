#include "fleetgate/store/group_commit_log.h"

#include <future>
#include <vector>

namespace fleetgate::store {

GroupCommitLog::GroupCommitLog(KvStore& store, GroupCommitOptions options, Prepare prepare)
    : store_(store), options_(options), prepare_(std::move(prepare)), writer_([this] { run(); }) {}

GroupCommitLog::~GroupCommitLog() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  writer_.join();
}

Status GroupCommitLog::submit(WriteBatch batch, Done done) {
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= options_.max_queued_batches) {
      return {Code::kResourceExhausted, "store is lagging: " + std::to_string(queue_.size()) + " writes queued"};
    }
    queue_.push_back({std::move(batch), std::move(done)});
  }
  wake_.notify_one();
  return Status::ok();
}

Status GroupCommitLog::append(WriteBatch batch) {
  auto outcome = std::make_shared<std::promise<Status>>();
  std::future<Status> result = outcome->get_future();
  if (Status s = submit(std::move(batch), [outcome](Status st) { outcome->set_value(std::move(st)); }); !s.is_ok()) {
    return s;
  }
  return result.get();
}

size_t GroupCommitLog::pending() const {
  std::lock_guard lock(mu_);
  return queue_.size() + in_write_;
}

GroupCommitStats GroupCommitLog::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void GroupCommitLog::run() {
  std::vector<Pending> group;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      // Always take at least one batch, however large; then fill up to the entry limit.
      size_t entries = 0;
      do {
        entries += queue_.front().batch.size();
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      } while (options_.group_commit && !queue_.empty() &&
               entries + queue_.front().batch.size() <= options_.max_group_entries);
      in_write_ = group.size();
    }
    WriteBatch merged;
    if (group.size() == 1) {
      merged = std::move(group.front().batch);
    } else {
      for (Pending& p : group) merged.append(std::move(p.batch));
    }
    Status s = prepare_ ? prepare_(merged) : Status::ok();
    if (s.is_ok()) s = store_.write(merged, WriteOptions{.sync = options_.sync});
    {
      std::lock_guard lock(mu_);
      in_write_ = 0;
      stats_.writes += 1;
      stats_.batches += group.size();
    }
    for (Pending& p : group) p.done(s);
    group.clear();
  }
}

}  // namespace fleetgate::store
