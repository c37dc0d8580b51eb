// The record of processing activities of one region (GDPR Art. 30, PIPL Art. 54-55), for
// `fleetgate compliance records`. Built on each call from the running config (what each data class
// holds, where, for how long, who receives it; the purposes and legal bases the controller
// declares in [[compliance.processing]]) and the control plane's audited state (every transfer out
// of and into the region, with its purpose, legal basis and state; the audit chain's length and
// head, which date the record), so it cannot drift from what the system does.
#pragma once

#include <boost/json/object.hpp>
#include <string_view>
#include <vector>

#include "fleetgate/core/config.h"
#include "fleetgate/transfer/transfer.h"

namespace fleetgate::app {

struct ChainState {
  uint64_t entries = 0;
  std::string head_hash;
};

// The record of `region` (a configured region) as JSON: {"region","generated","audit":{entries,
// head},"activities":[{data_class, holds, stored_in, retention, recipients, purpose, legal_basis}],
// "transfers_out":[...], "transfers_in":[...]}. `transfers`: every transfer the control plane holds.
boost::json::object processing_records(const config::Config& config, const config::Region& region,
                                       const std::vector<transfer::Transfer>& transfers, const ChainState& chain,
                                       int64_t now_ms);

}  // namespace fleetgate::app
