// The on-board engine behind the Provider interface, so the router treats it like any upstream:
// it runs in the vehicle's own process space (location "vehicle"), needs no key, never fails
// over the network, and streams its answer chunk by chunk.
#pragma once

#include "fleetgate/assistant/onboard_engine.h"
#include "fleetgate/assistant/provider.h"

namespace fleetgate::assistant {

class OnboardProvider : public InProcessProvider {
 public:
  // REQUIRES: config.kind is onboard.
  explicit OnboardProvider(config::Provider config, OnboardOptions options = {});

  const config::Provider& config() const override { return config_; }
  Status ready() const override { return Status::ok(); }
  ProviderReply complete(const boost::json::object& request, const CancelToken& cancel) override;
  ProviderReply stream(const boost::json::object& request, const EventCallback& on_event,
                       const CancelToken& cancel) override;

 private:
  config::Provider config_;
  OnboardEngine engine_;
};

}  // namespace fleetgate::assistant
