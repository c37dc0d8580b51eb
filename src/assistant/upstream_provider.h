// UpstreamProvider: a Provider that calls an OpenAI-compatible HTTP API (DeepSeek, xAI, a mock)
// through UpstreamClient. The request object is forwarded as is (only "stream" is set to match
// the call), the response body and stream events come back as the upstream's raw JSON text.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fleetgate/assistant/provider.h"
#include "fleetgate/assistant/upstream_client.h"

namespace fleetgate::assistant {

// The API key of `p`: the value of its api_key_env variable; nullopt when the variable is unset
// or empty. Read at call time, so a rotated key takes effect without a restart.
std::optional<std::string> api_key(const config::Provider& p);

// The chat completions path below `base_url`: "/chat/completions" when the base URL already ends
// in "/v1" (https://api.deepseek.com/v1), else "/v1/chat/completions".
std::string chat_completions_path(std::string_view base_url);

class UpstreamProvider : public Provider {
 public:
  // REQUIRES: cfg.kind is kOpenAICompatible.
  UpstreamProvider(config::Provider cfg, std::shared_ptr<UpstreamClient> client);

  const config::Provider& config() const override { return cfg_; }
  // failed_precondition naming the variable when api_key_env is set but the variable is not.
  Status ready() const override;
  boost::asio::awaitable<ProviderReply> async_complete(const boost::json::object& request,
                                                       const CancelToken& cancel) override;
  boost::asio::awaitable<ProviderReply> async_stream(const boost::json::object& request,
                                                     const AsyncEventCallback& on_event,
                                                     const CancelToken& cancel) override;

 private:
  ClientRequest client_request(const boost::json::object& request, bool stream) const;

  config::Provider cfg_;
  std::shared_ptr<UpstreamClient> client_;
};

// An UpstreamProvider for every openai-compatible provider of `cfg`, sharing `client`.
std::vector<std::shared_ptr<Provider>> make_upstream_providers(const config::Config& cfg,
                                                               const std::shared_ptr<UpstreamClient>& client);

}  // namespace fleetgate::assistant
