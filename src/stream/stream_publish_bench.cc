// Raw JetStream publish benchmark (run by bench/scenarios/jetstream_publish.sh): acked publishes
// per second of opaque blocks through BlockPublisher into one region's streams, as fast as
// `in_flight` outstanding PubAcks allow, and the PubAck latency (publish() to callback).
//   stream_publish_bench URLS OUT.json [SECONDS] [BLOCK_BYTES] [SHARDS] [REPLICAS] [IN_FLIGHT]
// URLS is tools/nats-region.sh's output for a region "bench"; the first second is not counted.
#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "fleetgate/core/bench_program.h"
#include "fleetgate/stream/block_publisher.h"
#include "fleetgate/stream/stream_setup.h"

namespace fleetgate::stream {
namespace {

using Clock = std::chrono::steady_clock;

using bench::die;
using bench::int_arg;
using bench::percentile;

int run(int argc, char** argv) {
  if (argc < 3) die("usage: stream_publish_bench URLS OUT.json [SECONDS] [BLOCK_BYTES] [SHARDS] [REPLICAS] [IN_FLIGHT]");
  const int seconds = int_arg(argc, argv, 3, 10);
  const int block_bytes = int_arg(argc, argv, 4, 5120);
  StreamLayout layout;
  layout.region = "bench";
  layout.shards = int_arg(argc, argv, 5, 1);
  layout.replicas = int_arg(argc, argv, 6, 3);
  layout.max_age = std::chrono::hours(1);
  layout.max_bytes = int64_t{2} << 30;
  const int in_flight = int_arg(argc, argv, 7, 1024);

  auto urls = parse_urls(argv[1]);
  if (!urls) die(urls.status().to_string());
  auto cluster = ClusterConnection::connect({.region = "bench", .urls = *urls});
  if (!cluster) die(cluster.status().to_string());
  if (Status s = ensure_telemetry_streams(**cluster, layout); !s.is_ok()) die(s.to_string());
  auto publisher = BlockPublisher::create(**cluster, layout, {.max_in_flight = static_cast<size_t>(in_flight)});
  if (!publisher) die(publisher.status().to_string());

  std::string block(static_cast<size_t>(block_bytes), '\0');
  std::mt19937_64 rng(42);
  for (char& c : block) c = static_cast<char>(rng());  // sealed blocks look random

  std::mutex mu;
  std::condition_variable completed;
  uint64_t acked = 0, failed = 0;
  std::vector<double> latency_ms;
  const Clock::time_point start = Clock::now();
  const Clock::time_point measure_from = start + std::chrono::seconds(1);
  const Clock::time_point end = measure_from + std::chrono::seconds(seconds);
  uint64_t acked_at_measure_start = 0;
  bool measuring = false;
  for (uint64_t seq = 0; Clock::now() < end;) {
    if (!measuring && Clock::now() >= measure_from) {
      std::lock_guard lock(mu);
      acked_at_measure_start = acked;
      latency_ms.clear();
      measuring = true;
    }
    const BlockKey key{"p_car" + std::to_string(seq % 64), 1748735990000 + static_cast<int64_t>(seq), seq};
    const Clock::time_point sent = Clock::now();
    Status s = (*publisher)->publish(key, block, [&, sent](Result<PublishAck> r) {
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - sent).count();
      std::lock_guard lock(mu);
      if (r.is_ok()) {
        ++acked;
        latency_ms.push_back(ms);
      } else {
        ++failed;
      }
      completed.notify_one();
    });
    if (s.is_ok()) {
      ++seq;
    } else if (s.code() == Code::kResourceExhausted) {
      std::unique_lock lock(mu);
      completed.wait_for(lock, std::chrono::milliseconds(10));
    } else {
      die(s.to_string());
    }
  }
  uint64_t counted;
  std::vector<double> latencies;
  {
    std::lock_guard lock(mu);
    counted = acked - acked_at_measure_start;
    latencies = latency_ms;
  }
  publisher->reset();
  const double rate = static_cast<double>(counted) / seconds;
  boost::json::object out{
      {"scenario", "raw JetStream publish through stream::BlockPublisher, loopback, 3-node cluster"},
      {"seconds", seconds},
      {"block_bytes", block_bytes},
      {"shards", layout.shards},
      {"replicas", layout.replicas},
      {"in_flight", in_flight},
      {"acked_per_second", std::llround(rate)},
      {"megabytes_per_second", std::round(rate * block_bytes / 1e4) / 100},
      {"failed", failed},
      {"ack_latency_ms_p50", std::round(percentile(latencies, 0.50) * 100) / 100},
      {"ack_latency_ms_p99", std::round(percentile(latencies, 0.99) * 100) / 100},
  };
  std::ofstream(argv[2]) << boost::json::serialize(out) << "\n";
  std::cout << boost::json::serialize(out) << "\n";
  return 0;
}

}  // namespace
}  // namespace fleetgate::stream

int main(int argc, char** argv) { return fleetgate::stream::run(argc, argv); }
