#include "fleetgate/ledger/ledger_routes.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "fleetgate/http/test_client.h"
#include "fleetgate/ledger/ledger_test_env.h"

namespace fleetgate::ledger {
namespace {

namespace json = boost::json;
using http::testing::TestClient;

class LedgerRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto auth = std::make_shared<http::StaticTokenAuthenticator>();
    auth->add_token("admin-token", http::Principal{"root", {"admin"}, {"*"}});
    auth->add_token("auditor-token", http::Principal{"ann", {"auditor"}, {"*"}});
    auth->add_token("operator-token", http::Principal{"op", {"operator"}, {"*"}});
    http::ServerOptions options;
    options.port = 0;
    options.access_log_level = spdlog::level::off;
    server_ = std::make_unique<http::Server>(options, nullptr, auth);
    ASSERT_TRUE(register_ledger_routes(*server_, deployment_.ledger()).is_ok());
    ASSERT_TRUE(server_->start().is_ok());
    client_ = std::make_unique<TestClient>("127.0.0.1", server_->port());
  }
  void TearDown() override { server_->stop(); }

  http::testing::ClientResponse post(const std::string& target, std::string body, const std::string& token,
                                     const std::string& type = "application/json") {
    auto r = client_->post(target, std::move(body), {{"Authorization", "Bearer " + token}, {"Content-Type", type}});
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    return r.is_ok() ? *r : http::testing::ClientResponse{};
  }

  Deployment deployment_;
  std::unique_ptr<http::Server> server_;
  std::unique_ptr<TestClient> client_;
};

TEST_F(LedgerRoutesTest, ImportSettleAndReadAStatement) {
  const std::string csv =
      "id,time,type,feature,market,currency,amount\n"
      "s-1,2026-11-03T10:00:00Z,subscription,fsd,US,USD,99.00\n";
  auto imported = post("/v1/ledger/revenue", csv, "admin-token", "text/csv");
  ASSERT_EQ(imported.status, 200u) << imported.body;
  EXPECT_EQ(json::parse(imported.body).at("added").as_int64(), 1);

  auto settled = post("/v1/ledger/settle", R"({"period":"2026-11"})", "auditor-token");
  ASSERT_EQ(settled.status, 200u) << settled.body;
  const json::value v = json::parse(settled.body);
  EXPECT_EQ(v.at("status"), "open");
  EXPECT_EQ(v.at("statements").at("xai").at("totals").at(0).at("amount_minor").as_int64(), 4950);

  auto statement = client_->get("/v1/ledger/statements/2026-11/xai?format=csv", {{"Authorization", "Bearer auditor-token"}});
  ASSERT_TRUE(statement.is_ok());
  EXPECT_EQ(statement->status, 200u);
  EXPECT_NE(statement->body.find("2026-11,xai,fsd,US,USD,period,,xai-fsd-2026,1/2,9900,4950,49.50"), std::string::npos)
      << statement->body;
  auto unknown = client_->get("/v1/ledger/statements/2026-11/nobody", {{"Authorization", "Bearer auditor-token"}});
  EXPECT_EQ(unknown->status, 404u);
}

TEST_F(LedgerRoutesTest, BadRowsAreReportedAndRolesEnforced) {
  auto bad = post("/v1/ledger/revenue",
                  R"({"events":[{"id":"a","time":"2026-11-01","type":"subscription","feature":"fsd","market":"US","currency":"USD","amount":"-1"}]})",
                  "admin-token");
  EXPECT_EQ(bad.status, 400u);
  EXPECT_NE(bad.body.find("events[0]: amount must be positive"), std::string::npos) << bad.body;
  EXPECT_EQ(post("/v1/ledger/revenue", R"({"events":[]})", "auditor-token").status, 403u) << "auditors only read";
  EXPECT_EQ(post("/v1/ledger/settle", R"({"period":"2026-11"})", "operator-token").status, 403u);
  EXPECT_EQ(post("/v1/ledger/settle", R"({"period":"2026-11","close":true})", "auditor-token").status, 403u);
  EXPECT_EQ(post("/v1/ledger/settle", R"({"period":"2026-13"})", "auditor-token").status, 400u);
  auto closed = post("/v1/ledger/settle", R"({"period":"2026-11","close":true})", "admin-token");
  EXPECT_EQ(closed.status, 200u) << closed.body;
  EXPECT_EQ(json::parse(closed.body).at("status"), "closed");
  auto again = post("/v1/ledger/settle", R"({"period":"2026-11","close":true})", "admin-token");
  EXPECT_EQ(again.status, 409u) << "closing a closed period is a state conflict: " << again.body;
  EXPECT_EQ(json::parse(again.body).at("error").at("code"), "failed_precondition");
}

}  // namespace
}  // namespace fleetgate::ledger
