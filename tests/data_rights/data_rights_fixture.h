// Test support for the owner's rights: the whole service in-process on the suite's backend, with
// two registered cars homed in eu (and their tokens), a DPO of each region and an operator, and
// helpers that report telemetry and call routes as one of them.
#pragma once

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <map>
#include <thread>

#include "fleetgate/access/credentials.h"
#include "fleetgate/app/backend.h"
#include "fleetgate/app/service.h"
#include "fleetgate/http/test_client.h"
#include "fleetgate/store/test_dir.h"
#include "fleetgate/telemetry/ingest_service.h"
#include "support/running_service.h"

namespace fleetgate::testing {

namespace json = boost::json;
using http::testing::TestClient;

constexpr std::string_view kErased = "XP7YGCEK7PB021447";  // sold in DE: homed in eu
constexpr std::string_view kKept = "LRW3E7EA8PC390117";

inline int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

class DataRightsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spdlog::set_level(spdlog::level::warn);
    const auto config_file = dir_ / "fleetgate.toml";
    std::ofstream(config_file) << "[server]\ndata_dir = \"data\"\n"
                               << "[[regions]]\nid = \"cn\"\nchain = [\"onboard\"]\n"
                                  "[[regions]]\nid = \"eu\"\nchain = [\"onboard\"]\n"
                                  "[markets]\nCN = \"cn\"\nDE = \"eu\"\nFR = \"eu\"\n"
                                  "[[providers]]\nid = \"onboard\"\nkind = \"onboard\"\nlocation = \"vehicle\"\n"
                                  "models = [\"fleetgate-onboard\"]\n"
                               << extra_toml_;
    auto service = fleetgate::testing::start_service(config_file);
    ASSERT_TRUE(service.is_ok()) << service.status().to_string();
    service_ = std::move(service).value();
    client_ = std::make_unique<TestClient>("127.0.0.1", service_->port());
    auto& cp = service_->control_plane();
    for (std::string_view vin : {kErased, kKept}) {
      ASSERT_TRUE(cp.registry->register_vehicle(vin, "DE", "", "test").is_ok());
      tokens_[std::string(vin)] = *cp.credentials->issue_vehicle_token(vin, "eu", "test");
    }
    ASSERT_TRUE(cp.credentials->add_user("dora", {"dpo"}, {"eu"}, "test").is_ok());
    ASSERT_TRUE(cp.credentials->add_user("chen", {"dpo"}, {"cn"}, "test").is_ok());
    ASSERT_TRUE(cp.credentials->add_user("otto", {"operator", "admin"}, {"*"}, "test").is_ok());
    for (const char* user : {"dora", "chen", "otto"}) users_[user] = *cp.credentials->issue_user_token(user, "test");
  }
  void TearDown() override {
    if (service_) service_->stop();
  }

  telemetry::RegionTelemetry& eu() { return *service_->backend().telemetry().region("eu"); }

  // Posts three records of `vin` (speed and position), taken `age_ms` ago, with its token; the
  // answer's status.
  unsigned report(std::string_view vin, int64_t first_seq, int64_t age_ms = 5'000) {
    json::array batch;
    for (int64_t seq = first_seq; seq < first_seq + 3; ++seq) {
      json::array data{json::object{{"field", "speed"}, {"value", 40 + seq}},
                       json::object{{"field", "location"}, {"value", json::object{{"lat", 48.137154}, {"lon", 11.576124}}}}};
      batch.push_back(json::object{{"vin", vin}, {"created_at", now_ms() - age_ms + seq}, {"seq", seq}, {"data", std::move(data)}});
    }
    client_->close();
    auto r = client_->post("/v1/telemetry", json::serialize(batch),
                           {{"Authorization", "Bearer " + tokens_.at(std::string(vin))}, {"Content-Type", "application/json"}});
    EXPECT_TRUE(r.is_ok());
    return r.is_ok() ? r->status : 0;
  }

  // The vehicle's stored records, once `n` are readable (the query store may trail a replicated ack).
  std::vector<telemetry::Record> readable(std::string_view vin, size_t n) {
    std::vector<telemetry::Record> records;
    for (int i = 0; i < 200; ++i) {
      auto r = eu().read(vin, 0, now_ms() + 60'000, 1000);
      if (r.is_ok()) records = std::move(r).value();
      if (records.size() >= n) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return records;
  }

  // Every sealed block of the region, as a backup of its data store holds them.
  std::map<std::string, std::string> copy_of_the_store() {
    std::map<std::string, std::string> copy;
    auto reader = eu().records();
    EXPECT_TRUE(reader.is_ok());
    if (!reader.is_ok()) return copy;
    for (auto it = (*reader)->scan("p_"); it->valid(); it->next()) copy.emplace(it->key(), it->value());
    return copy;
  }

  // One request with `token` as bearer; the answer (status 0 and an empty body when none came).
  http::testing::ClientResponse call(const std::string& token, http::Verb verb, const std::string& target, std::string body = {}) {
    client_->close();
    http::testing::HeaderList headers{{"Authorization", "Bearer " + token}};
    if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
    auto r = client_->request(verb, target, std::move(body), headers);
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    return r.is_ok() ? std::move(r).value() : http::testing::ClientResponse{};
  }
  // The same, with the body parsed (null when it is not JSON).
  std::pair<unsigned, json::value> call_json(const std::string& token, http::Verb verb, const std::string& target,
                                             std::string body = {}) {
    auto r = call(token, verb, target, std::move(body));
    boost::system::error_code ec;
    json::value v = json::parse(r.body, ec);
    return {r.status, ec ? json::value(nullptr) : v};
  }

  std::pair<unsigned, json::value> erase(const std::string& user, std::string_view vin, std::string body) {
    return call_json(users_.at(user), http::Verb::post, "/v1/vehicles/" + std::string(vin) + "/erase", std::move(body));
  }

  std::string extra_toml_;  // appended to the config: set it before SetUp runs
  store::TestDir dir_;
  std::unique_ptr<app::Service> service_;
  std::unique_ptr<TestClient> client_;
  std::map<std::string, std::string> tokens_, users_;
};

}  // namespace fleetgate::testing
