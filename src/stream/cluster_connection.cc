#include "fleetgate/stream/cluster_connection.h"

#include "fleetgate/stream/nats_status.h"
#include "fleetgate/stream/stream_layout.h"

namespace fleetgate::stream {
namespace {

// How long to wait between two rounds of reconnect attempts: short, because a SIGKILLed server's
// peers take over at once and the client should find them as soon as they do.
constexpr int64_t kReconnectWaitMs = 100;

struct OptionsDeleter {
  void operator()(natsOptions* o) const { natsOptions_Destroy(o); }
};

}  // namespace

Result<std::vector<std::string>> parse_urls(std::string_view comma_separated) {
  std::vector<std::string> urls;
  while (!comma_separated.empty()) {
    const size_t comma = comma_separated.find(',');
    std::string_view url = comma_separated.substr(0, comma);
    if (url.substr(0, 7) != "nats://" || url.size() == 7) {
      return invalid_argument("NATS URL '" + std::string(url) + "' must be nats://host:port");
    }
    urls.emplace_back(url);
    comma_separated = comma == std::string_view::npos ? std::string_view{} : comma_separated.substr(comma + 1);
  }
  if (urls.empty()) return invalid_argument("no NATS URL given");
  return urls;
}

Result<std::unique_ptr<ClusterConnection>> ClusterConnection::connect(const ClusterOptions& options) {
  if (Status s = check_region(options.region); !s.is_ok()) return s;
  if (options.urls.empty()) return invalid_argument("region " + options.region + ": no NATS URL given");

  natsOptions* raw = nullptr;
  if (natsStatus s = natsOptions_Create(&raw); s != NATS_OK) return nats_error("NATS options", s);
  std::unique_ptr<natsOptions, OptionsDeleter> opts(raw);
  std::vector<const char*> servers;
  for (const std::string& url : options.urls) servers.push_back(url.c_str());
  const std::string name = "fleetgate-" + options.region;
  natsStatus s = natsOptions_SetServers(opts.get(), servers.data(), static_cast<int>(servers.size()));
  if (s == NATS_OK) s = natsOptions_SetName(opts.get(), name.c_str());
  if (s == NATS_OK) s = natsOptions_SetTimeout(opts.get(), options.connect_timeout.count());
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts.get(), -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts.get(), kReconnectWaitMs);
  if (s != NATS_OK) return nats_error("NATS options", s);

  natsConnection* nc = nullptr;
  s = natsConnection_Connect(&nc, opts.get());
  if (s != NATS_OK) {
    std::string urls;
    for (const std::string& url : options.urls) urls += (urls.empty() ? "" : ",") + url;
    return nats_error("region " + options.region + ": connect to NATS at " + urls, s);
  }
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = options.request_timeout.count();
  jsCtx* js = nullptr;
  if (s = natsConnection_JetStream(&js, nc, &jo); s != NATS_OK) {
    natsConnection_Destroy(nc);
    return nats_error("region " + options.region + ": JetStream context", s);
  }
  return std::unique_ptr<ClusterConnection>(new ClusterConnection(options, nc, js));
}

ClusterConnection::~ClusterConnection() {
  jsCtx_Destroy(js_);
  natsConnection_Close(nc_);
  natsConnection_Destroy(nc_);
}

}  // namespace fleetgate::stream
