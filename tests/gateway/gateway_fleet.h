// For gateway integration tests: the whole fleetgate service started in-process on an ephemeral
// loopback port over a fresh data dir, its region chains pointing at one MockUpstream per
// upstream provider (each expecting its own API key, set in the environment), with the ledger
// when asked, plus helpers to register vehicles with tokens, build chat requests and recognise
// OpenAI-shaped errors.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "fleetgate/app/service.h"
#include "fleetgate/http/test_client.h"
#include "fleetgate/ledger/usage_log.h"
#include "fleetgate/store/test_dir.h"
#include "mock_upstream/mock_upstream.h"

namespace fleetgate::gwtest {

struct UpstreamSpec {
  std::string id;
  std::string location;  // region id
  std::vector<std::string> models = {"mock-model"};
  std::string developer_jurisdiction = "US";  // for origin rules (the on-board engine's is "DE")
};

struct FleetSpec {
  std::vector<UpstreamSpec> upstreams;
  bool onboard = true;  // configure the on-board engine as provider "onboard" (model fleetgate-onboard)
  std::map<std::string, std::vector<std::string>> chains;  // region id -> provider ids, first preferred
  bool ledger = false;  // the repository's config/ledger.toml beside the config: the service settles
  std::vector<std::string> served = {};  // [node] regions; empty: every region
  std::map<std::string, std::string> endpoints = {};  // region id -> its public endpoint
  int io_threads = 2;  // [server] threads: the server's event loops
  std::map<std::string, std::string> tool_functions = {};  // [assistant.tool_functions]: app tool -> function
  app::ServiceOptions service = {};  // e.g. usage_queue, usage_store (the port is always ephemeral)
  // In the distributed mode (the suite's "pg." copies) the fleet runs two nodes over the same
  // databases and client() spreads requests over both. A test that depends on one node's own
  // state (its breakers, say) says so here: one node then. A fleet with a fault injected through
  // `service` (usage_store, control_store) runs that node alone too.
  bool one_node = false;
  std::string extra_toml = {};  // appended to the config, e.g. [[compliance.prohibited_origins]]
};

// deepseek (cn), xai-us (us) and xai-eu (eu), each followed by onboard in its region's chain.
FleetSpec standard_fleet();

struct TestVehicle {
  std::string vin;
  std::string market;
  std::string region;
  std::string token;
};

class GatewayFleet {
 public:
  // Starts the mocks and the service. Every provider makes one attempt (no retries), so a
  // failure fails over at once, and waits 20 s for a first byte, longer than any test waits.
  static Result<std::unique_ptr<GatewayFleet>> start(const FleetSpec& spec);
  ~GatewayFleet();

  // Stops every node and starts them again on the same data dir and databases (new ports).
  Status restart();

  // REQUIRES: `id` names an upstream of the spec.
  mock::MockUpstream& mock(const std::string& id);
  const std::map<std::string, std::unique_ptr<mock::MockUpstream>>& mocks() const { return mocks_; }
  // Total requests recorded by every mock except `except`.
  size_t requests_to_others(const std::string& except) const;

  // Registers a new vehicle sold in `market` and issues its token. `year_code` is its VIN's
  // position 10, the model year ('R' = 2024, 'V' = 2027).
  Result<TestVehicle> add_vehicle(std::string_view market, char year_code = 'R');

  // The first node: its port, its fault hooks (FleetSpec::service), its metrics.
  app::Service& service() { return *service_; }
  // The nodes' ports: one, or two in the distributed mode unless FleetSpec::one_node.
  std::vector<uint16_t> ports() const;
  app::ControlPlane& control_plane() { return service_->control_plane(); }
  // Every record of `region`'s usage log, in time order (both nodes' in the distributed mode:
  // they meter into the region's database).
  Result<std::vector<ledger::UsageRecord>> usage(std::string_view region);
  // A client whose requests take turns over the nodes, as behind a round-robin load balancer.
  std::unique_ptr<http::testing::TestClient> client() const;

 private:
  GatewayFleet() = default;

  // Starts the nodes of spec_ from config_file_.
  Status start_nodes();

  store::TestDir dir_;  // declared first: outlives the stores of the service
  FleetSpec spec_;
  std::filesystem::path config_file_;
  std::map<std::string, std::unique_ptr<mock::MockUpstream>> mocks_;
  std::unique_ptr<app::Service> service_;
  std::unique_ptr<app::Service> peer_;  // the second node, when there is one
  uint64_t next_serial_ = 1;
};

// Authorization header for a bearer token.
http::testing::HeaderList bearer(const std::string& token);

// A chat request with one user message; `extra` fields are added to the top level.
std::string chat_body(std::string_view user_text, bool stream, const boost::json::object& extra = {});

// Success when `body` is {"error":{"message":non-empty string,"type":non-empty string,
// "code":string or integer,...}}.
::testing::AssertionResult is_openai_error(std::string_view body);

// The JSON object in `text`, or an empty object when it is not one (the test then fails on
// the missing fields).
boost::json::object parse_object(std::string_view text);

// Reads events until the stream ends; the last element may be an error (then the stream broke).
struct StreamRead {
  std::vector<http::testing::SseEvent> events;
  bool ended_cleanly = false;  // the server ended the chunked body properly
};
StreamRead read_all(http::testing::SseStream& stream);

}  // namespace fleetgate::gwtest
