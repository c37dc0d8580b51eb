// The owner's access to their vehicle's data and third-party sharing (README "Compliance") through
// the real service, on both backends: the owner's token reads its own car's registry record,
// telemetry in clear, assistant usage and the transfers that carried it, as JSON and CSV, and
// nothing of another car; a grant lets a third party read the granted fields only, until it
// expires or is revoked; an erasure ends both.
#include <algorithm>
#include <sstream>

#include "data_rights/data_rights_fixture.h"
#include "fleetgate/transfer/transfer_service.h"

namespace fleetgate {
namespace {

using testing::DataRightsTest;
using testing::kErased;
using testing::kKept;
using testing::now_ms;
namespace json = boost::json;

// Records are reported as taken now (age 0): an owner reads from the vehicle's registration on,
// and the fixture registers the cars just before.
class VehicleDataTest : public DataRightsTest {
 protected:
  // The owner's token of `vin`, issued by the operator.
  std::string owner_token(std::string_view vin) {
    auto [status, body] = call_json(users_.at("otto"), http::Verb::post, "/v1/vehicles/" + std::string(vin) + "/owner-token");
    EXPECT_EQ(status, 201u) << json::serialize(body);
    return status == 201u ? std::string(body.at("token").as_string()) : std::string();
  }
  std::string data_path(std::string_view vin, std::string_view query = "") {
    return "/v1/vehicles/" + std::string(vin) + "/data" + (query.empty() ? "" : "?" + std::string(query));
  }
  // Grants `fields` of kKept to a third party for `lifetime_ms`; the answer.
  std::pair<unsigned, json::value> grant(const std::string& owner, json::array fields, int64_t lifetime_ms) {
    json::object body{{"grantee", "Allianz telematics tariff"}, {"fields", std::move(fields)},
                      {"expires_ms", now_ms() + lifetime_ms}};
    return call_json(owner, http::Verb::post, "/v1/vehicles/" + std::string(kKept) + "/grants", json::serialize(body));
  }
};

TEST_F(VehicleDataTest, TheOwnerReadsEverythingAboutTheirCarAndNothingAboutAnother) {
  ASSERT_EQ(report(kKept, 1, 0), 200u);
  ASSERT_EQ(report(kErased, 1, 0), 200u);
  ASSERT_EQ(readable(kKept, 3).size(), 3u);
  ASSERT_EQ(readable(kErased, 3).size(), 3u);
  // One assistant request, metered as the car's usage.
  auto chat = call(tokens_.at(std::string(kKept)), http::Verb::post, "/v1/chat/completions",
                   R"({"model":"fleetgate-onboard","messages":[{"role":"user","content":"hello"}]})");
  ASSERT_EQ(chat.status, 200u) << chat.body;
  // A transfer of the region's speed and position to cn carries both cars.
  transfer::TransferService& transfers = service_->transfers();
  transfer::TransferRequest req;
  req.source_region = "eu";
  req.dest_region = "cn";
  req.fields = {"speed", "location"};
  req.selection = {now_ms() - 60'000, now_ms() + 60'000, {}};
  req.purpose = "route planning evaluation";
  req.legal_basis = "GDPR Art. 6(1)(f)";
  req.assessment_ref = "DPIA-2026-031";
  req.expires_at_ms = now_ms() + 3'600'000;
  auto id = transfers.request(http::Principal{"otto", {"operator"}, {"*"}}, req);
  ASSERT_TRUE(id.is_ok()) << id.status().to_string();
  ASSERT_TRUE(transfers.approve(http::Principal{"abe", {"approver"}, {"eu"}}, *id).is_ok());
  ASSERT_TRUE(transfers.approve(http::Principal{"dora", {"dpo"}, {"eu"}}, *id).is_ok());
  ASSERT_TRUE(transfers.export_bundle(*id, dir_ / "out", "test").is_ok());

  const std::string owner = owner_token(kKept);
  json::value all;
  for (int i = 0; i < 100; ++i) {  // the usage record is written just after the answer
    auto [status, body] = call_json(owner, http::Verb::get, data_path(kKept));
    ASSERT_EQ(status, 200u) << json::serialize(body);
    all = body;
    if (!body.at("usage").as_array().empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(all.at("object").as_string(), "vehicle.data");
  EXPECT_EQ(all.at("vin").as_string(), kKept);
  EXPECT_EQ(all.at("region").as_string(), "eu");
  EXPECT_EQ(all.at("vehicle").at("market").as_string(), "DE");
  const json::array& records = all.at("telemetry").at("records").as_array();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].at("vin").as_string(), kKept);
  // The position in clear, exactly as the car sent it (in the text: Boost.JSON would reprint it).
  const std::string text = call(owner, http::Verb::get, data_path(kKept)).body;
  EXPECT_NE(text.find(R"("location","value":{"lat":48.137154,"lon":11.576124})"), std::string::npos) << text;
  EXPECT_TRUE(all.at("telemetry").at("next_cursor").is_null());
  const json::array& usage = all.at("usage").as_array();
  ASSERT_EQ(usage.size(), 1u);
  EXPECT_EQ(usage[0].at("provider").as_string(), "onboard");
  EXPECT_EQ(usage[0].at("outcome").as_string(), "ok");
  const json::array& carried = all.at("transfers").as_array();
  ASSERT_EQ(carried.size(), 1u);
  EXPECT_EQ(carried[0].at("id").as_string(), *id);
  EXPECT_EQ(carried[0].at("dest_region").as_string(), "cn");
  EXPECT_GT(carried[0].at("exported_ms").as_int64(), 0);

  // The owner's token reads its own car only, and nothing but the data route; it opens no
  // console session (a person's user token does: the control case).
  for (const auto& [token, expected] : {std::pair{owner, 403u}, std::pair{users_.at("otto"), 201u}}) {
    client_->close();
    auto signed_in = client_->post("/console/session", json::serialize(json::object{{"token", token}}),
                                   {{"Content-Type", "application/json"}, {"Sec-Fetch-Site", "same-origin"}});
    ASSERT_TRUE(signed_in.is_ok());
    EXPECT_EQ(signed_in->status, expected) << signed_in->body;
  }
  EXPECT_EQ(call(owner, http::Verb::get, data_path(kErased)).status, 404u);
  EXPECT_EQ(call(owner, http::Verb::get, "/v1/vehicles/" + std::string(kKept)).status, 403u);
  EXPECT_EQ(call(owner, http::Verb::post, "/v1/vehicles/" + std::string(kKept) + "/erase", R"({"reason":"x"})").status, 403u);
  // A DPO of the region reads it too; one of another region does not see it.
  EXPECT_EQ(call(users_.at("dora"), http::Verb::get, data_path(kKept)).status, 200u);
  EXPECT_EQ(call(users_.at("chen"), http::Verb::get, data_path(kKept)).status, 404u);
  // A new owner token replaces the previous one.
  const std::string next = owner_token(kKept);
  EXPECT_EQ(call(owner, http::Verb::get, data_path(kKept)).status, 401u);
  EXPECT_EQ(call(next, http::Verb::get, data_path(kKept)).status, 200u);
}

TEST_F(VehicleDataTest, ANewOwnerReadsNothingFromBeforeTheirOwnershipAndThePreviousGrantsEnd) {
  ASSERT_EQ(report(kKept, 1, 0), 200u);
  ASSERT_EQ(readable(kKept, 3).size(), 3u);
  const std::string first_owner = owner_token(kKept);
  auto [granted, issued] = grant(first_owner, json::array{"speed"}, 3'600'000);
  ASSERT_EQ(granted, 201u);
  const std::string insurer = std::string(issued.at("token").as_string());

  // The car is sold: the operator issues the new owner's token, owned from now on.
  auto [status, body] = call_json(users_.at("otto"), http::Verb::post, "/v1/vehicles/" + std::string(kKept) + "/owner-token",
                                  json::serialize(json::object{{"since_ms", now_ms()}}));
  ASSERT_EQ(status, 201u) << json::serialize(body);
  const std::string second_owner = std::string(body.at("token").as_string());
  auto [read, data] = call_json(second_owner, http::Verb::get, data_path(kKept));
  ASSERT_EQ(read, 200u) << json::serialize(data);
  EXPECT_TRUE(data.at("telemetry").at("records").as_array().empty()) << json::serialize(data);
  EXPECT_TRUE(data.at("usage").as_array().empty());
  EXPECT_TRUE(data.at("transfers").as_array().empty());
  // The first owner's token and their insurer's grant end with the sale; their grant is not
  // listed to the new owner.
  EXPECT_EQ(call(first_owner, http::Verb::get, data_path(kKept)).status, 401u);
  EXPECT_EQ(call(insurer, http::Verb::get, data_path(kKept, "part=telemetry")).status, 401u);
  auto [listed, list] = call_json(second_owner, http::Verb::get, "/v1/vehicles/" + std::string(kKept) + "/grants");
  ASSERT_EQ(listed, 200u);
  EXPECT_TRUE(list.at("data").as_array().empty()) << json::serialize(list);
  // What the car reports from now on is the new owner's.
  ASSERT_EQ(report(kKept, 10, 0), 200u);
  for (int i = 0; i < 100; ++i) {
    auto [again, now_data] = call_json(second_owner, http::Verb::get, data_path(kKept, "part=telemetry"));
    ASSERT_EQ(again, 200u);
    if (now_data.at("telemetry").at("records").as_array().size() == 3) break;
    ASSERT_LT(i, 99) << json::serialize(now_data);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

TEST_F(VehicleDataTest, CsvPartsHaveTheDocumentedColumns) {
  ASSERT_EQ(report(kKept, 1, 0), 200u);
  ASSERT_EQ(readable(kKept, 3).size(), 3u);
  const std::string owner = owner_token(kKept);
  auto telemetry = call(owner, http::Verb::get, data_path(kKept, "part=telemetry&format=csv"));
  ASSERT_EQ(telemetry.status, 200u) << telemetry.body;
  EXPECT_EQ(telemetry.header("Content-Type"), "text/csv; charset=utf-8");
  std::istringstream lines(telemetry.body);
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line, "created_at,seq,field,value");
  std::vector<std::string> rows;
  while (std::getline(lines, line)) rows.push_back(line);
  ASSERT_EQ(rows.size(), 6u) << telemetry.body;  // three records of two values
  EXPECT_TRUE(std::any_of(rows.begin(), rows.end(), [](const std::string& r) { return r.ends_with(",1,speed,41"); }))
      << telemetry.body;
  EXPECT_TRUE(std::any_of(rows.begin(), rows.end(),
                          [](const std::string& r) { return r.ends_with(",1,location,48.137154 11.576124"); }))
      << telemetry.body;

  auto vehicle = call(owner, http::Verb::get, data_path(kKept, "part=vehicle&format=csv"));
  ASSERT_EQ(vehicle.status, 200u);
  EXPECT_TRUE(vehicle.body.starts_with("vin,market,region,label,manufacturer,wmi,origin_country,plant_code,plant,"
                                       "model_year,check_digit_valid,registered_ms,updated_ms,providers\n" +
                                       std::string(kKept) + ",DE,eu,"))
      << vehicle.body;
  auto usage = call(owner, http::Verb::get, data_path(kKept, "part=usage&format=csv"));
  ASSERT_EQ(usage.status, 200u);
  EXPECT_EQ(usage.body, "time_ms,request_id,market,feature,provider,model,prompt_tokens,completion_tokens,cached_tokens,"
                        "reasoning_tokens,tool_calls,refused_tool_calls,outcome,latency_us\n");
  auto transfers = call(owner, http::Verb::get, data_path(kKept, "part=transfers&format=csv"));
  ASSERT_EQ(transfers.status, 200u);
  EXPECT_EQ(transfers.body, "id,dest_region,purpose,legal_basis,fields,state,exported_ms\n");

  EXPECT_EQ(call(owner, http::Verb::get, data_path(kKept, "format=csv")).status, 400u) << "CSV needs one part";
  EXPECT_EQ(call(owner, http::Verb::get, data_path(kKept, "part=everything")).status, 400u);
  EXPECT_EQ(call(owner, http::Verb::get, data_path(kKept, "format=xml")).status, 400u);
  EXPECT_EQ(call(owner, http::Verb::get, data_path(kKept, "part=telemetry&cursor=00ff")).status, 400u);
  EXPECT_EQ(call(owner, http::Verb::get, data_path(kKept, "part=usage&cursor=00ff")).status, 400u);
}

TEST_F(VehicleDataTest, AThirdPartyReadsTheGrantedFieldsUntilTheGrantEndsOrIsRevoked) {
  ASSERT_EQ(report(kKept, 1, 0), 200u);
  ASSERT_EQ(readable(kKept, 3).size(), 3u);
  const std::string owner = owner_token(kKept);
  auto [status, issued] = grant(owner, json::array{"speed"}, 3'600'000);
  ASSERT_EQ(status, 201u) << json::serialize(issued);
  EXPECT_EQ(issued.at("object").as_string(), "vehicle.grant");
  EXPECT_EQ(issued.at("fields"), json::value(json::array{"speed"}));
  const std::string third = std::string(issued.at("token").as_string());
  const std::string grant_id = std::string(issued.at("id").as_string());

  // The granted field only: every record keeps its speed, none its position.
  auto [read, body] = call_json(third, http::Verb::get, data_path(kKept, "part=telemetry"));
  ASSERT_EQ(read, 200u) << json::serialize(body);
  const json::array& records = body.at("telemetry").at("records").as_array();
  ASSERT_EQ(records.size(), 3u);
  for (const auto& r : records) {
    ASSERT_EQ(r.at("data").as_array().size(), 1u) << json::serialize(r);
    EXPECT_EQ(r.at("data").as_array()[0].at("field").as_string(), "speed");
  }
  // Nothing else: other parts, other cars, the owner's routes.
  EXPECT_EQ(call(third, http::Verb::get, data_path(kKept)).status, 403u);
  EXPECT_EQ(call(third, http::Verb::get, data_path(kKept, "part=usage")).status, 403u);
  EXPECT_EQ(call(third, http::Verb::get, data_path(kErased, "part=telemetry")).status, 404u);
  EXPECT_EQ(call(third, http::Verb::get, "/v1/vehicles/" + std::string(kKept) + "/grants").status, 403u);

  // The owner lists and revokes it; the token stops at once. Both are in the audit chain.
  auto [listed, list] = call_json(owner, http::Verb::get, "/v1/vehicles/" + std::string(kKept) + "/grants");
  ASSERT_EQ(listed, 200u);
  ASSERT_EQ(list.at("data").as_array().size(), 1u);
  EXPECT_FALSE(list.at("data").as_array()[0].as_object().contains("token"));
  const std::string grant_path = "/v1/vehicles/" + std::string(kKept) + "/grants/" + grant_id;
  EXPECT_EQ(call(owner, http::Verb::delete_, grant_path).status, 204u);
  EXPECT_EQ(call(third, http::Verb::get, data_path(kKept, "part=telemetry")).status, 401u);
  EXPECT_EQ(call(owner, http::Verb::delete_, grant_path).status, 409u) << "already revoked";
  auto tail = service_->control_plane().audit->tail(2);
  ASSERT_TRUE(tail.is_ok() && tail->size() == 2);
  EXPECT_EQ((*tail)[0].action, "vehicle.grant.issue");
  EXPECT_EQ((*tail)[1].action, "vehicle.grant.revoke");

  // A grant that has expired is refused, though nobody revoked it.
  auto [short_status, short_lived] = grant(owner, json::array{"speed"}, 300);
  ASSERT_EQ(short_status, 201u);
  const std::string brief = std::string(short_lived.at("token").as_string());
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_EQ(call(brief, http::Verb::get, data_path(kKept, "part=telemetry")).status, 401u);
}

TEST_F(VehicleDataTest, GrantsAreCheckedAndOnlyTheOwnerMakesThem) {
  const std::string owner = owner_token(kKept);
  EXPECT_EQ(grant(owner, json::array{"sped"}, 3'600'000).first, 400u) << "unknown field";
  EXPECT_EQ(grant(owner, json::array{}, 3'600'000).first, 400u) << "no field";
  EXPECT_EQ(grant(owner, json::array{"speed"}, -1).first, 400u) << "expired already";
  EXPECT_EQ(grant(owner, json::array{"speed"}, int64_t{367} * 24 * 3'600'000).first, 400u) << "longer than 366 days";
  EXPECT_EQ(call(owner, http::Verb::post, "/v1/vehicles/" + std::string(kKept) + "/grants",
                 R"({"grantee":"x","fields":["speed"],"expires_ms":1,"extra":1})")
                .status,
            400u);
  EXPECT_EQ(grant(users_.at("dora"), json::array{"speed"}, 3'600'000).first, 403u) << "a DPO is not the owner";
  EXPECT_EQ(grant(users_.at("otto"), json::array{"speed"}, 3'600'000).first, 403u);
  EXPECT_EQ(call(owner, http::Verb::delete_, "/v1/vehicles/" + std::string(kKept) + "/grants/g_AAAAAAAAAAAAAAAA").status,
            404u);
  // An owner token of another car does not reach this one's grants.
  const std::string other = owner_token(kErased);
  EXPECT_EQ(grant(other, json::array{"speed"}, 3'600'000).first, 404u);
}

TEST_F(VehicleDataTest, AnErasureEndsTheOwnersAndEveryThirdPartysAccess) {
  ASSERT_EQ(report(kKept, 1, 0), 200u);
  ASSERT_EQ(readable(kKept, 3).size(), 3u);
  const std::string owner = owner_token(kKept);
  auto [status, issued] = grant(owner, json::array{"speed"}, 3'600'000);
  ASSERT_EQ(status, 201u);
  const std::string third = std::string(issued.at("token").as_string());
  ASSERT_EQ(erase("dora", kKept, R"({"reason":"owner request"})").first, 200u);
  EXPECT_EQ(call(owner, http::Verb::get, data_path(kKept)).status, 401u);
  EXPECT_EQ(call(third, http::Verb::get, data_path(kKept, "part=telemetry")).status, 401u);
}

}  // namespace
}  // namespace fleetgate
