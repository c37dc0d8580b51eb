#include "gateway/gateway_fleet.h"

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>

#include <spdlog/spdlog.h>

#include "support/running_service.h"
#include "fleetgate/vehicle/vin.h"
#include "mock_upstream/mock_fleet.h"

namespace fleetgate::gwtest {

namespace json = boost::json;

FleetSpec standard_fleet() {
  return FleetSpec{{{"deepseek", "cn", {"deepseek-chat", "deepseek-reasoner"}},
                    {"xai-us", "us", {"grok-4", "grok-3-mini"}},
                    {"xai-eu", "eu", {"grok-4-eu"}}},
                   true,
                   {{"cn", {"deepseek", "onboard"}}, {"us", {"xai-us", "onboard"}}, {"eu", {"xai-eu", "onboard"}}}};
}

namespace {

// Longer than any wait in the tests, so an upstream request ends early only when cancelled.
constexpr uint32_t kFirstByteTimeoutMs = 20000;

std::string key_variable(const std::string& provider_id) {
  std::string name = "FG_GWTEST_KEY_";
  for (char c : provider_id) name += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

// A valid VIN (check digit included) with a serial number of its own.
std::string test_vin(uint64_t serial, char year_code) {
  std::string digits = std::to_string(serial);
  std::string vin = "LRW3E7EK0" + std::string(1, year_code) + "C" + std::string(6 - digits.size(), '0') + digits;
  vin[8] = vehicle::check_digit(vin).value_or('0');
  return vin;
}

}  // namespace

Result<std::unique_ptr<GatewayFleet>> GatewayFleet::start(const FleetSpec& spec) {
  spdlog::set_level(spdlog::level::warn);  // no access log line per request
  std::unique_ptr<GatewayFleet> fleet(new GatewayFleet());
  std::vector<mock::ProviderSpec> providers;
  for (const UpstreamSpec& u : spec.upstreams) {
    const std::string key = "key-" + u.id;
    auto m = mock::MockUpstream::start(mock::MockOptions{u.id, u.location, {}, u.models, key, 0});
    if (!m.is_ok()) return m.status();
    ::setenv(key_variable(u.id).c_str(), key.c_str(), 1);
    providers.push_back({u.id, u.location, (*m)->base_url(), key_variable(u.id), u.models, 0, kFirstByteTimeoutMs, "",
                         u.developer_jurisdiction});
    fleet->mocks_.emplace(u.id, std::move(m).value());
  }
  if (spec.onboard) {
    providers.push_back({"onboard", "vehicle", "", "", {"fleetgate-onboard"}, 0, kFirstByteTimeoutMs, "", "DE"});
  }

  const std::filesystem::path config_file = fleet->dir_ / "fleetgate.toml";
  {
    std::ofstream out(config_file);
    out << "[server]\ndata_dir = \"data\"\nthreads = " << spec.io_threads << "\n\n";
    if (!spec.served.empty()) {
      out << "[node]\nregions = [";
      for (size_t i = 0; i < spec.served.size(); ++i) out << (i ? ", \"" : "\"") << spec.served[i] << "\"";
      out << "]\n\n";
    }
    out << mock::fleet_config_toml(providers, spec.chains, spec.endpoints);
    if (!spec.tool_functions.empty()) {
      out << "\n[assistant.tool_functions]\n";
      for (const auto& [tool, function] : spec.tool_functions) out << '"' << tool << "\" = \"" << function << "\"\n";
    }
    out << spec.extra_toml;
    if (!out) return unavailable("cannot write " + config_file.string());
  }
  if (spec.ledger) {
    std::error_code ec;
    std::filesystem::copy_file(std::filesystem::path(FLEETGATE_SOURCE_DIR) / "config" / "ledger.toml",
                               fleet->dir_ / "ledger.toml", ec);
    if (ec) return unavailable("cannot copy config/ledger.toml: " + ec.message());
  }
  fleet->spec_ = spec;
  fleet->config_file_ = config_file;
  if (Status s = fleet->start_nodes(); !s.is_ok()) return s;
  return fleet;
}

Status GatewayFleet::start_nodes() {
  auto service = fleetgate::testing::start_service(config_file_, spec_.service);
  if (!service.is_ok()) return service.status();
  service_ = std::move(service).value();
  // A fault injected through spec.service is one node's: such a fleet runs that node alone.
  const bool faults = spec_.service.usage_store || spec_.service.control_store;
  if (fleetgate::testing::suite_on_postgres() && !spec_.one_node && !faults) {
    // A second node of the same config: the same databases, the same data dir (so the same
    // keyrings, as provisioned to every node of a region), a port of its own.
    app::ServiceOptions peer_options;
    peer_options.usage_queue = spec_.service.usage_queue;
    auto peer = fleetgate::testing::start_service(config_file_, peer_options);
    if (!peer.is_ok()) return Status(peer.status().code(), "second node: " + peer.status().message());
    peer_ = std::move(peer).value();
  }
  return Status::ok();
}

Status GatewayFleet::restart() {
  if (peer_) peer_->stop();
  if (service_) service_->stop();
  peer_.reset();
  service_.reset();
  return start_nodes();
}

GatewayFleet::~GatewayFleet() {
  if (peer_) peer_->stop();
  if (service_) service_->stop();
}

std::vector<uint16_t> GatewayFleet::ports() const {
  std::vector<uint16_t> ports{service_->port()};
  if (peer_) ports.push_back(peer_->port());
  return ports;
}

mock::MockUpstream& GatewayFleet::mock(const std::string& id) { return *mocks_.at(id); }

size_t GatewayFleet::requests_to_others(const std::string& except) const {
  size_t n = 0;
  for (const auto& [id, m] : mocks_) {
    if (id != except) n += m->request_count();
  }
  return n;
}

Result<TestVehicle> GatewayFleet::add_vehicle(std::string_view market, char year_code) {
  app::ControlPlane& cp = control_plane();
  auto record = cp.registry->register_vehicle(test_vin(next_serial_++, year_code), market, "gateway test car", "test:gateway");
  if (!record.is_ok()) return record.status();
  auto token = cp.credentials->issue_vehicle_token(record->vin, record->region, "test:gateway");
  if (!token.is_ok()) return token.status();
  return TestVehicle{record->vin, record->market, record->region, *token};
}

Result<std::vector<ledger::UsageRecord>> GatewayFleet::usage(std::string_view region) {
  ledger::UsageLog* log = service_->usage_log(region);
  if (log == nullptr) return invalid_argument("no usage log for region " + std::string(region));
  std::vector<ledger::UsageRecord> out;
  Status s = log->scan(std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(),
                       [&](const ledger::UsageRecord& r) {
                         out.push_back(r);
                         return Status::ok();
                       });
  if (!s.is_ok()) return s;
  return out;
}

std::unique_ptr<http::testing::TestClient> GatewayFleet::client() const {
  return std::make_unique<http::testing::TestClient>("127.0.0.1", ports());
}

http::testing::HeaderList bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

std::string chat_body(std::string_view user_text, bool stream, const json::object& extra) {
  json::object body{{"model", "mock-model"},
                    {"messages", json::array{json::object{{"role", "user"}, {"content", user_text}}}},
                    {"stream", stream}};
  for (const auto& [k, v] : extra) body[k] = v;
  return json::serialize(body);
}

::testing::AssertionResult is_openai_error(std::string_view body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return ::testing::AssertionFailure() << "not a JSON object: " << body;
  const json::value* error = v.as_object().if_contains("error");
  if (error == nullptr || !error->is_object()) return ::testing::AssertionFailure() << "no error object: " << body;
  const json::object& e = error->as_object();
  for (const char* field : {"message", "type"}) {
    const json::value* f = e.if_contains(field);
    if (f == nullptr || !f->is_string() || f->as_string().empty()) {
      return ::testing::AssertionFailure() << "error." << field << " is not a non-empty string: " << body;
    }
  }
  const json::value* code = e.if_contains("code");
  if (code == nullptr || !(code->is_string() || code->is_int64() || code->is_uint64())) {
    return ::testing::AssertionFailure() << "error.code is not a string or integer: " << body;
  }
  return ::testing::AssertionSuccess();
}

json::object parse_object(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return {};
  return std::move(v.as_object());
}

StreamRead read_all(http::testing::SseStream& stream) {
  StreamRead r;
  for (;;) {
    auto next = stream.next();
    if (!next.is_ok()) return r;  // broken connection or timeout: ended_cleanly stays false
    if (!next->has_value()) {
      r.ended_cleanly = true;
      return r;
    }
    r.events.push_back(std::move(**next));
  }
}

}  // namespace fleetgate::gwtest
