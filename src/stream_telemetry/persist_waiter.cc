#include "fleetgate/stream_telemetry/persist_waiter.h"

#include <algorithm>
#include <utility>

#include "fleetgate/stream/block_reader.h"

namespace fleetgate::stream_telemetry {

namespace {
Status stopping() { return unavailable("telemetry: the node is stopping; send again"); }
}  // namespace

PersistWaiter::PersistWaiter(stream::ClusterConnection& cluster, stream::StreamLayout layout, std::string durable,
                             PersistWaiterOptions options)
    : cluster_(cluster), layout_(std::move(layout)), durable_(std::move(durable)), options_(options) {
  for (int k = 0; k < layout_.shards; ++k) shards_.push_back(std::make_unique<Shard>());
  for (int k = 0; k < layout_.shards; ++k) shards_[static_cast<size_t>(k)]->thread = std::thread([this, k] { run(k); });
}

PersistWaiter::~PersistWaiter() {
  for (auto& shard : shards_) {
    {
      std::lock_guard lock(shard->mu);
      shard->stopping = true;
    }
    shard->wake.notify_all();
  }
  for (auto& shard : shards_) shard->thread.join();
}

void PersistWaiter::wait(int shard, uint64_t stream_seq, Done done) {
  Shard& s = *shards_.at(static_cast<size_t>(shard));
  {
    std::lock_guard lock(s.mu);
    if (!s.stopping) {
      s.waiting.push_back({stream_seq, std::chrono::steady_clock::now() + options_.timeout, std::move(done)});
      s.wake.notify_one();
      return;
    }
  }
  done(stopping());
}

void PersistWaiter::run(int k) {
  Shard& shard = *shards_[static_cast<size_t>(k)];
  std::vector<std::pair<Done, Status>> ready;
  for (;;) {
    bool stop = false;
    {
      std::unique_lock lock(shard.mu);
      shard.wake.wait(lock, [&] { return shard.stopping || !shard.waiting.empty(); });
      stop = shard.stopping;
      if (stop) {
        for (Waiting& w : shard.waiting) ready.emplace_back(std::move(w.done), stopping());
        shard.waiting.clear();
      }
    }
    if (stop) {
      for (auto& [done, status] : ready) done(std::move(status));
      return;
    }
    // Asked outside the lock: a slow cluster delays acknowledgements, never wait().
    auto floor = stream::acked_through(cluster_, layout_, k, durable_, options_.request_timeout);
    const auto now = std::chrono::steady_clock::now();
    {
      std::lock_guard lock(shard.mu);
      std::erase_if(shard.waiting, [&](Waiting& w) {
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
    std::unique_lock lock(shard.mu);
    shard.wake.wait_for(lock, options_.poll, [&] { return shard.stopping; });
  }
}

}  // namespace fleetgate::stream_telemetry
