// For gateway integration tests: the whole fleetgate service started in-process on an ephemeral
// loopback port over a fresh data dir, its region chains pointing at one MockUpstream per
// upstream provider (each expecting its own API key, set in the environment), with the ledger
// when asked, plus helpers to register vehicles with tokens, build chat requests and recognise
// OpenAI-shaped errors.
#pragma once

#include <gtest/gtest.h>

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
};

struct FleetSpec {
  std::vector<UpstreamSpec> upstreams;
  bool onboard = true;  // configure the on-board engine as provider "onboard" (model fleetgate-onboard)
  std::map<std::string, std::vector<std::string>> chains;  // region id -> provider ids, first preferred
  bool ledger = false;  // the repository's config/ledger.toml beside the config: the service settles
  std::vector<std::string> served = {};  // [node] regions; empty: every region
  std::map<std::string, std::string> endpoints = {};  // region id -> its public endpoint
  int io_threads = 2;  // [server] threads: the server's event loops
  app::ServiceOptions service = {};  // e.g. usage_queue, usage_store (the port is always ephemeral)
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

  // REQUIRES: `id` names an upstream of the spec.
  mock::MockUpstream& mock(const std::string& id);
  const std::map<std::string, std::unique_ptr<mock::MockUpstream>>& mocks() const { return mocks_; }
  // Total requests recorded by every mock except `except`.
  size_t requests_to_others(const std::string& except) const;

  // Registers a new vehicle sold in `market` and issues its token.
  Result<TestVehicle> add_vehicle(std::string_view market);

  app::Service& service() { return *service_; }
  app::ControlPlane& control_plane() { return service_->control_plane(); }
  // Every record of `region`'s usage log, in time order.
  Result<std::vector<ledger::UsageRecord>> usage(std::string_view region);
  std::unique_ptr<http::testing::TestClient> client() const;

 private:
  GatewayFleet() = default;

  store::TestDir dir_;  // declared first: outlives the stores of the service
  std::map<std::string, std::unique_ptr<mock::MockUpstream>> mocks_;
  std::unique_ptr<app::Service> service_;
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
