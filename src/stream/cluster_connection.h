// One NATS connection (nats.c) to one region's JetStream cluster. It may connect through any of
// the region's servers, fails over between them and reconnects until closed, so a server's
// death delays requests instead of failing the connection. Thread-safe.
#pragma once

#include <nats/nats.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fleetgate/core/result.h"

namespace fleetgate::stream {

struct ClusterOptions {
  std::string region;              // the region whose cluster this is (its servers' region:<id> tag)
  std::vector<std::string> urls;   // nats://host:port of the region's servers; at least one
  std::chrono::milliseconds connect_timeout{2000};  // per server, at connect
  std::chrono::milliseconds request_timeout{5000};  // JetStream API requests (streams, consumers)
};

// Splits "nats://a:4222,nats://b:4222" (as tools/nats-region.sh prints it) into URLs;
// kInvalidArgument for an empty list or an entry not starting with nats://.
Result<std::vector<std::string>> parse_urls(std::string_view comma_separated);

class ClusterConnection {
 public:
  // kInvalidArgument for a bad region id or URL list; kUnavailable when no server answers.
  static Result<std::unique_ptr<ClusterConnection>> connect(const ClusterOptions& options);
  ~ClusterConnection();
  ClusterConnection(const ClusterConnection&) = delete;
  ClusterConnection& operator=(const ClusterConnection&) = delete;

  const ClusterOptions& options() const { return options_; }
  const std::string& region() const { return options_.region; }
  // The nats.c handles, for this module's publisher, reader and stream setup. `js()` has no
  // asynchronous-publish handler: a BlockPublisher makes its own context.
  natsConnection* nats() const { return nc_; }
  jsCtx* js() const { return js_; }

 private:
  ClusterConnection(ClusterOptions options, natsConnection* nc, jsCtx* js)
      : options_(std::move(options)), nc_(nc), js_(js) {}

  ClusterOptions options_;
  natsConnection* nc_;
  jsCtx* js_;
};

}  // namespace fleetgate::stream
