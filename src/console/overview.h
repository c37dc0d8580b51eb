// The live overview of the console: per region, what the server already counts (the metrics
// registry's telemetry and assistant families, the router's breakers, the transfer service's
// pending requests), for the regions a caller may act in. take() reads totals; to_json() turns
// two consecutive snapshots into figures with rates per second.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "fleetgate/core/config.h"
#include "fleetgate/core/result.h"
#include "fleetgate/http/message.h"
#include "fleetgate/http/metrics.h"
#include "fleetgate/transfer/transfer_service.h"

namespace fleetgate::console {

// Circuit breaker state by provider id: "closed", "half_open" or "open".
using BreakerStates = std::function<std::map<std::string, std::string>()>;

struct RegionFigures {
  std::string id;
  std::string name;
  std::vector<std::string> providers;  // the region's chain: the providers its cars may use, in order
  double cars_connected = 0;           // open telemetry WebSockets of its cars on this node
  double telemetry_records = 0;        // records stored since start
  std::map<std::pair<std::string, std::string>, double> assistant;  // (provider, outcome) -> requests
  // Requests passed on from a failing provider to the next of the chain (the gateway's count).
  double failovers = 0;
  double refused_tool_calls = 0;
  std::map<std::string, std::string> breakers;  // state of each provider of the chain
  int64_t pending_transfers = 0;                // requested, awaiting approval, from or to the region
};

struct OverviewSnapshot {
  int64_t time_ms = 0;
  std::vector<RegionFigures> regions;  // in config order
};

class Overview {
 public:
  // Registers (or finds) the metric families it reads. REQUIRES: every argument outlives it.
  static Result<std::unique_ptr<Overview>> create(const config::Config& config, http::MetricsRegistry& metrics,
                                                  BreakerStates breakers, transfer::TransferService& transfers);

  // The figures of every region this node serves that `who` may act in. Blocks on the control
  // store (pending transfers).
  Result<OverviewSnapshot> take(const http::Principal& who) const;

  // {"object":"console.overview","time_ms",regions:[...]}: totals, and rates per second against
  // `before` (an earlier snapshot for the same caller) when given.
  static boost::json::object to_json(const OverviewSnapshot& now, const OverviewSnapshot* before);

 private:
  Overview(const config::Config& config, BreakerStates breakers, transfer::TransferService& transfers)
      : config_(config), breakers_(std::move(breakers)), transfers_(transfers) {}

  const config::Config& config_;
  BreakerStates breakers_;
  transfer::TransferService& transfers_;
  const http::GaugeFamily* connections_ = nullptr;
  const http::CounterFamily* records_ = nullptr;
  const http::CounterFamily* requests_ = nullptr;
  const http::CounterFamily* refusals_ = nullptr;
  const http::CounterFamily* failovers_ = nullptr;
};

}  // namespace fleetgate::console
