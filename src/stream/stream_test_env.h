// Shared by the stream tests: a region's real 3-node cluster (tools/nats-region.sh) with a
// connection to it, a small layout, a blocking wrapper around the asynchronous publish, and a
// bounded read of every block a durable consumer delivers.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "fleetgate/stream/block_publisher.h"
#include "fleetgate/stream/block_reader.h"
#include "fleetgate/stream/cluster_connection.h"
#include "fleetgate/stream/stream_layout.h"
#include "fleetgate/stream/stream_setup.h"
#include "support/nats_region.h"

namespace fleetgate::stream {

struct StreamInfoDeleter {
  void operator()(jsStreamInfo* si) const { jsStreamInfo_Destroy(si); }
};
using StreamInfo = std::unique_ptr<jsStreamInfo, StreamInfoDeleter>;

// R3 streams small enough for a test machine's disk reservation.
inline StreamLayout test_layout(const std::string& region, int shards) {
  StreamLayout layout;
  layout.region = region;
  layout.shards = shards;
  layout.replicas = 3;
  layout.max_age = std::chrono::hours(1);
  layout.max_bytes = int64_t{64} << 20;
  return layout;
}

// `region`'s servers, and a connection for `connect_as` (another region's id when a test points
// one region's configuration at the wrong cluster).
class RegionCluster {
 public:
  explicit RegionCluster(const std::string& region, const std::string& connect_as = "") : servers_(region) {
    if (servers_.urls().empty()) return;
    ClusterOptions options;
    options.region = connect_as.empty() ? region : connect_as;
    auto urls = parse_urls(servers_.urls());
    EXPECT_TRUE(urls.is_ok()) << urls.status().to_string();
    if (!urls) return;
    options.urls = *urls;
    auto connected = ClusterConnection::connect(options);
    EXPECT_TRUE(connected.is_ok()) << connected.status().to_string();
    if (connected) connection_ = std::move(connected).value();
  }
  bool ok() const { return connection_ != nullptr; }
  ClusterConnection& connection() { return *connection_; }
  testing::NatsRegion& servers() { return servers_; }

  StreamInfo info(const std::string& stream) {
    jsStreamInfo* si = nullptr;
    const natsStatus s = js_GetStreamInfo(&si, connection_->js(), stream.c_str(), nullptr, nullptr);
    EXPECT_EQ(s, NATS_OK) << stream << ": " << natsStatus_GetText(s);
    return StreamInfo(si);
  }

 private:
  testing::NatsRegion servers_;
  std::unique_ptr<ClusterConnection> connection_;  // closed before the servers stop
};

inline Result<PublishAck> publish_and_wait(BlockPublisher& publisher, const BlockKey& key, std::string_view block) {
  auto done = std::make_shared<std::promise<Result<PublishAck>>>();
  auto future = done->get_future();
  Status s = publisher.publish(key, block, [done](Result<PublishAck> r) { done->set_value(std::move(r)); });
  if (!s.is_ok()) return s;
  return future.get();
}

// Fetches from `reader` until `expected` blocks came, acking each; then one more fetch, which
// must find nothing. Bounded: gives up after `max_fetches` fetches.
inline std::vector<Delivery> read_and_ack(BlockReader& reader, size_t expected, int max_fetches = 200) {
  std::vector<Delivery> got;
  for (int i = 0; i < max_fetches && got.size() < expected; ++i) {
    auto batch = reader.fetch(100, std::chrono::milliseconds(500));
    EXPECT_TRUE(batch.is_ok()) << batch.status().to_string();
    if (!batch) break;
    for (Delivery& d : *batch) {
      EXPECT_TRUE(d.ack().is_ok());
      got.push_back(std::move(d));
    }
  }
  auto extra = reader.fetch(10, std::chrono::milliseconds(300));
  EXPECT_TRUE(extra.is_ok() && extra->empty()) << "blocks beyond the expected " << expected;
  return got;
}

}  // namespace fleetgate::stream
