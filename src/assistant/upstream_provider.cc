#include "fleetgate/assistant/upstream_provider.h"

#include <cstdlib>
#include <utility>

#include <boost/json/parse.hpp>

#include "fleetgate/core/json_text.h"

namespace fleetgate::assistant {

namespace json = boost::json;

std::optional<std::string> api_key(const config::Provider& p) {
  if (p.api_key_env.empty()) return std::nullopt;
  const char* value = std::getenv(p.api_key_env.c_str());
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

std::string chat_completions_path(std::string_view base_url) {
  while (!base_url.empty() && base_url.back() == '/') base_url.remove_suffix(1);
  return base_url.ends_with("/v1") ? "/chat/completions" : "/v1/chat/completions";
}

UpstreamProvider::UpstreamProvider(config::Provider cfg, std::shared_ptr<UpstreamClient> client)
    : cfg_(std::move(cfg)), client_(std::move(client)) {}

Status UpstreamProvider::ready() const {
  if (!cfg_.api_key_env.empty() && !api_key(cfg_)) {
    return failed_precondition("API key variable " + cfg_.api_key_env + " of provider '" + cfg_.id + "' is not set");
  }
  return Status::ok();
}

ClientRequest UpstreamProvider::client_request(const json::object& request, bool stream) const {
  json::object body = request;
  body["stream"] = stream;
  ClientRequest r;
  r.base_url = cfg_.base_url;
  r.path = chat_completions_path(cfg_.base_url);
  r.body = json_text(body);
  r.bearer_token = api_key(cfg_).value_or("");
  r.timeouts = cfg_.timeouts;
  r.ca_file = cfg_.ca_file.string();
  return r;
}

namespace {

// "HTTP 503: <upstream error.message>" (the message only when the body has the OpenAI shape).
std::string http_detail(int status, std::string_view body) {
  std::string detail = "HTTP " + std::to_string(status);
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return detail;
  const json::value* err = v.get_object().if_contains("error");
  const json::value* msg = err && err->is_object() ? err->get_object().if_contains("message") : nullptr;
  if (msg && msg->is_string()) detail += ": " + std::string(msg->get_string().subview().substr(0, 300));
  return detail;
}

Outcome outcome_for_failure(ClientFailure f) {
  switch (f) {
    case ClientFailure::kNone: return Outcome::kOk;
    case ClientFailure::kConnect: return Outcome::kConnectError;
    case ClientFailure::kTimeout: return Outcome::kTimeout;
    case ClientFailure::kCancelled: return Outcome::kCancelled;
    case ClientFailure::kProtocol: return Outcome::kBadResponse;
    case ClientFailure::kStreamBroken: return Outcome::kStreamBroken;
  }
  return Outcome::kBadResponse;
}

// Maps a client reply to the router's vocabulary; transport failures first, then HTTP status.
ProviderReply reply_from(ClientReply c) {
  ProviderReply r;
  r.http_status = c.status;
  r.retry_after = c.retry_after;
  r.events = c.events;
  if (!c.ok()) {
    r.outcome = outcome_for_failure(c.failure);
    r.detail = std::move(c.error);
    return r;
  }
  r.outcome = outcome_for_http_status(c.status);
  if (r.outcome != Outcome::kOk) r.detail = http_detail(c.status, c.body);
  r.body = std::move(c.body);
  return r;
}

}  // namespace

boost::asio::awaitable<ProviderReply> UpstreamProvider::async_complete(const json::object& request,
                                                                      const CancelToken& cancel) {
  // (Named, not a temporary in the co_await expression: GCC 12 frees such temporaries twice.)
  const ClientRequest call = client_request(request, false);
  ProviderReply r = reply_from(co_await client_->async_call(call, cancel));
  if (r.outcome == Outcome::kOk) {
    boost::system::error_code ec;
    json::value v = json::parse(r.body, ec);
    if (ec || !v.is_object()) {
      r.outcome = Outcome::kBadResponse;
      r.detail = "HTTP " + std::to_string(r.http_status) + " with a body that is not a JSON object";
    }
  }
  co_return r;
}

boost::asio::awaitable<ProviderReply> UpstreamProvider::async_stream(const json::object& request,
                                                                    const AsyncEventCallback& on_event,
                                                                    const CancelToken& cancel) {
  const AsyncSseHandler relay = [&on_event](const SseEvent& ev) { return on_event(ev.data); };
  const ClientRequest call = client_request(request, true);
  ClientReply c = co_await client_->async_call_stream(call, relay, cancel);
  const bool unterminated = c.ok() && c.status >= 200 && c.status < 300 && !c.saw_done;
  ProviderReply r = reply_from(std::move(c));
  if (unterminated) {
    r.outcome = r.events > 0 ? Outcome::kStreamBroken : Outcome::kBadResponse;
    r.detail = "the event stream ended without [DONE]";
  }
  co_return r;
}

std::vector<std::shared_ptr<Provider>> make_upstream_providers(const config::Config& cfg,
                                                               const std::shared_ptr<UpstreamClient>& client) {
  std::vector<std::shared_ptr<Provider>> out;
  for (const config::Provider& p : cfg.providers) {
    if (p.kind == config::ProviderKind::kOpenAICompatible) out.push_back(std::make_shared<UpstreamProvider>(p, client));
  }
  return out;
}

}  // namespace fleetgate::assistant
