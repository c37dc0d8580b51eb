#include "fleetgate/stream_telemetry/persist_waiter.h"

#include <algorithm>
#include <utility>

#include "fleetgate/stream/block_reader.h"

namespace fleetgate::stream_telemetry {

PersistWaiter::PersistWaiter(stream::ClusterConnection& cluster, stream::StreamLayout layout, std::string durable,
                             PersistWaiterOptions options)
    : cluster_(cluster),
      layout_(std::move(layout)),
      durable_(std::move(durable)),
      options_(options),
      waiting_(static_cast<size_t>(layout_.shards)),
      thread_([this] { run(); }) {}

PersistWaiter::~PersistWaiter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void PersistWaiter::wait(int shard, uint64_t stream_seq, Done done) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      waiting_.at(static_cast<size_t>(shard))
          .push_back({stream_seq, std::chrono::steady_clock::now() + options_.timeout, std::move(done)});
      wake_.notify_one();
      return;
    }
  }
  done(unavailable("telemetry: the node is stopping; send again"));
}

void PersistWaiter::run() {
  std::vector<std::pair<Done, Status>> ready;
  for (;;) {
    std::vector<int> shards;
    bool stop = false;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [&] {
        return stopping_ || std::any_of(waiting_.begin(), waiting_.end(), [](const auto& w) { return !w.empty(); });
      });
      stop = stopping_;
      if (stop) {
        for (auto& shard : waiting_) {
          for (Waiting& w : shard) ready.emplace_back(std::move(w.done), unavailable("telemetry: the node is stopping; send again"));
          shard.clear();
        }
      } else {
        for (size_t k = 0; k < waiting_.size(); ++k) {
          if (!waiting_[k].empty()) shards.push_back(static_cast<int>(k));
        }
      }
    }
    if (stop) {
      for (auto& [done, status] : ready) done(std::move(status));
      return;
    }
    for (int k : shards) {
      // Asked outside the lock: a slow cluster delays acknowledgements, never wait().
      auto floor = stream::acked_through(cluster_, layout_, k, durable_);
      const auto now = std::chrono::steady_clock::now();
      std::lock_guard lock(mu_);
      auto& shard = waiting_[static_cast<size_t>(k)];
      std::erase_if(shard, [&](Waiting& w) {
        if (floor.is_ok() && w.stream_seq <= *floor) {
          ready.emplace_back(std::move(w.done), Status::ok());
          return true;
        }
        if (now < w.deadline) return false;
        ready.emplace_back(std::move(w.done),
                           unavailable("telemetry: block not in the region's query store within " +
                                       std::to_string(options_.timeout.count()) + " ms" +
                                       (floor.is_ok() ? std::string() : " (" + floor.status().message() + ")") +
                                       "; send again"));
        return true;
      });
    }
    for (auto& [done, status] : ready) done(std::move(status));
    ready.clear();
    std::unique_lock lock(mu_);
    wake_.wait_for(lock, options_.poll, [&] { return stopping_; });
  }
}

}  // namespace fleetgate::stream_telemetry
