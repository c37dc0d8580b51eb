// The monitoring files in deploy/ only name metrics the service serves: every metric in an alert
// rule's expression and in a dashboard panel's query has a "# TYPE" line in the /metrics of a
// running service, and the dashboard is a Grafana dashboard whose panels all query something.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <string>

#include "fleetgate/http/test_client.h"
#include "fleetgate/store/test_dir.h"
#include "support/running_service.h"

namespace fleetgate {
namespace {

namespace json = boost::json;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The metric names a PromQL expression reads: identifiers of ours (fleetgate_*, http_*, process_*), a
// histogram's _bucket/_sum/_count series named by their family.
std::set<std::string> metrics_in(const std::string& expr) {
  static const std::regex name(R"(\b((fleetgate|http|process)_[a-z0-9_]+)\b)");
  std::set<std::string> out;
  for (auto it = std::sregex_iterator(expr.begin(), expr.end(), name); it != std::sregex_iterator(); ++it) {
    std::string metric = (*it)[1];
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      const std::string s(suffix);
      if (metric.size() > s.size() && metric.ends_with(s)) metric.resize(metric.size() - s.size());
    }
    out.insert(metric);
  }
  return out;
}

class MonitoringTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spdlog::set_level(spdlog::level::warn);
    const auto config = dir_ / "fleetgate.toml";
    std::ofstream(config) << "[server]\ndata_dir = \"data\"\n"
                             "[[regions]]\nid = \"eu\"\nchain = [\"onboard\"]\n"
                             "[markets]\nDE = \"eu\"\n"
                             "[[providers]]\nid = \"onboard\"\nkind = \"onboard\"\nlocation = \"vehicle\"\n"
                             "models = [\"fleetgate-onboard\"]\n";
    auto service = fleetgate::testing::start_service(config);
    ASSERT_TRUE(service.is_ok()) << service.status().to_string();
    service_ = std::move(service).value();
    http::testing::TestClient client("127.0.0.1", service_->port());
    auto metrics = client.request(http::Verb::get, "/metrics", "", {});
    ASSERT_TRUE(metrics.is_ok()) << metrics.status().to_string();
    ASSERT_EQ(metrics->status, 200u);
    static const std::regex type_line(R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) )", std::regex::multiline);
    for (auto it = std::sregex_iterator(metrics->body.begin(), metrics->body.end(), type_line); it != std::sregex_iterator(); ++it) {
      served_.insert((*it)[1]);
    }
    ASSERT_GT(served_.size(), 5u) << metrics->body;
  }
  void TearDown() override {
    if (service_) service_->stop();
  }

  store::TestDir dir_;
  std::unique_ptr<app::Service> service_;
  std::set<std::string> served_;
};

TEST_F(MonitoringTest, AlertRulesReadOnlyServedMetrics) {
  const std::string rules = read_file(std::string(FLEETGATE_SOURCE_DIR) + "/deploy/prometheus/fleetgate-alerts.yml");
  std::set<std::string> named = metrics_in(rules);
  EXPECT_GE(named.size(), 6u);
  for (const std::string& metric : named) EXPECT_TRUE(served_.contains(metric)) << metric << " is not served at /metrics";
}

TEST_F(MonitoringTest, EveryDashboardPanelQueriesServedMetrics) {
  const json::value dashboard = json::parse(read_file(std::string(FLEETGATE_SOURCE_DIR) + "/deploy/grafana/fleetgate-dashboard.json"));
  const json::object& d = dashboard.as_object();
  EXPECT_EQ(d.at("uid"), "fleetgate-overview");
  EXPECT_TRUE(d.at("schemaVersion").is_int64());
  const json::array& panels = d.at("panels").as_array();
  ASSERT_GE(panels.size(), 8u);
  std::set<int64_t> ids;
  for (const json::value& p : panels) {
    const json::object& panel = p.as_object();
    SCOPED_TRACE(std::string(panel.at("title").as_string()));
    EXPECT_TRUE(ids.insert(panel.at("id").as_int64()).second) << "panel ids are unique";
    const json::array& targets = panel.at("targets").as_array();
    ASSERT_FALSE(targets.empty());
    for (const json::value& t : targets) {
      const std::string expr(t.as_object().at("expr").as_string());
      const std::set<std::string> named = metrics_in(expr);
      EXPECT_FALSE(named.empty()) << expr;
      for (const std::string& metric : named) EXPECT_TRUE(served_.contains(metric)) << metric << " is not served at /metrics";
    }
  }
}

}  // namespace
}  // namespace fleetgate
