#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "fleetgate/http/test_client.h"
#include "fleetgate/telemetry/ingest_test_env.h"
#include "fleetgate/telemetry/json_format.h"
#include "fleetgate/telemetry/proto/telemetry.pb.h"
#include "fleetgate/telemetry/proto_format.h"

namespace fleetgate::telemetry {
namespace {

using http::testing::TestClient;
using http::testing::TestWebSocket;

constexpr const char* kUsVin = "5YJ3E1EA1PF412087";
constexpr const char* kEuVin = "XP7YGCEK7PB021447";

Record make_record(std::string vin, uint64_t seq, double speed, std::string gear = "D") {
  Record r;
  r.vin = std::move(vin);
  r.seq = seq;
  r.created_at_ms = kIngestNowMs - 10'000 + static_cast<int64_t>(seq);
  r.data = {{Field::kSpeed, speed}, {Field::kGear, std::move(gear)}, {Field::kLocation, Location{52.5, 13.4, 90.0}}};
  return r;
}

// Records as ingest stores them: validated wire.Payloads.
wire::Batch batch_of(const std::vector<Record>& records) {
  wire::Batch batch;
  for (const Record& r : records) to_payload(r, *batch.add_records());
  return batch;
}

double speed_of(const Record& r) {
  for (const Datum& d : r.data) {
    if (d.field == Field::kSpeed) return std::get<double>(d.value);
  }
  return -1;
}

wire::Ack parse_ack(const std::string& bytes) {
  wire::Ack ack;
  EXPECT_TRUE(ack.ParseFromString(bytes));
  return ack;
}

http::testing::HeaderList bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

class IngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_.add_vehicle(kUsVin, "US");
    env_.add_vehicle(kEuVin, "DE");
    env_.start();
  }
  std::unique_ptr<TestWebSocket> connect(const std::string& vin) {
    auto ws = TestWebSocket::connect("127.0.0.1", env_.server().port(), "/v1/telemetry/ws", bearer("vehicle:" + vin));
    EXPECT_TRUE(ws.is_ok()) << ws.status().to_string();
    return ws.is_ok() ? std::move(ws).value() : nullptr;
  }
  IngestEnv env_;
};

TEST_F(IngestTest, WebSocketAcksEachFrameInOrderOnceStored) {
  auto ws = connect(kEuVin);
  ASSERT_TRUE(ws);
  for (uint64_t seq = 1; seq <= 20; ++seq) ASSERT_TRUE(ws->send_binary(encode_protobuf(make_record(kEuVin, seq, 10.0 * seq))).is_ok());
  for (uint64_t seq = 1; seq <= 20; ++seq) {
    auto msg = ws->receive();
    ASSERT_TRUE(msg.is_ok()) << msg.status().to_string();
    wire::Ack ack = parse_ack(*msg);
    EXPECT_EQ(ack.seq(), seq);
    EXPECT_TRUE(ack.ok()) << ack.error();
  }
  auto records = env_.service().region("eu")->read(kEuVin, INT64_MIN, INT64_MAX, 100);
  ASSERT_TRUE(records.is_ok());
  ASSERT_EQ(records->size(), 20u);
  EXPECT_EQ(records->back().seq, 20u);
  EXPECT_EQ(env_.service().region("us")->read(kEuVin, INT64_MIN, INT64_MAX, 100)->size(), 0u);
}

TEST_F(IngestTest, BatchFramesAreStoredAllOrNothingWithOneAckEach) {
  auto ws = TestWebSocket::connect("127.0.0.1", env_.server().port(), "/v1/telemetry/ws?batch=1", bearer("vehicle:" + std::string(kEuVin)));
  ASSERT_TRUE(ws.is_ok()) << ws.status().to_string();
  std::vector<Record> good, bad;
  for (uint64_t seq = 1; seq <= 5; ++seq) good.push_back(make_record(kEuVin, seq, 10.0 * seq));
  for (uint64_t seq = 6; seq <= 8; ++seq) bad.push_back(make_record(kEuVin, seq, seq == 7 ? 900.0 : 50.0));
  ASSERT_TRUE((*ws)->send_binary(encode_protobuf_batch(good)).is_ok());
  ASSERT_TRUE((*ws)->send_binary(encode_protobuf_batch(bad)).is_ok());
  wire::Ack first = parse_ack((*ws)->receive().value());
  EXPECT_TRUE(first.ok()) << first.error();
  EXPECT_EQ(first.seq(), 5u) << "a batch is acked with its last seq";
  EXPECT_EQ(first.records(), 5u);
  wire::Ack second = parse_ack((*ws)->receive().value());
  EXPECT_FALSE(second.ok());
  EXPECT_NE(second.error().find("records[1]"), std::string::npos) << second.error();
  auto records = env_.service().region("eu")->read(kEuVin, INT64_MIN, INT64_MAX, 100);
  ASSERT_TRUE(records.is_ok());
  EXPECT_EQ(records->size(), 5u) << "nothing of the refused batch is stored";
  EXPECT_EQ(env_.service().latest_state(kEuVin)->seq, 5u);
}

TEST_F(IngestTest, IngestIsCountedPerRegionAndOutcome) {
  auto ws = TestWebSocket::connect("127.0.0.1", env_.server().port(), "/v1/telemetry/ws?batch=1", bearer("vehicle:" + std::string(kEuVin)));
  ASSERT_TRUE(ws.is_ok()) << ws.status().to_string();
  std::vector<Record> good, bad;
  for (uint64_t seq = 1; seq <= 5; ++seq) good.push_back(make_record(kEuVin, seq, 10.0 * seq));
  bad.push_back(make_record(kEuVin, 6, 900.0));
  ASSERT_TRUE((*ws)->send_binary(encode_protobuf_batch(good)).is_ok());
  ASSERT_TRUE((*ws)->send_binary(encode_protobuf_batch(bad)).is_ok());
  ASSERT_TRUE((*ws)->send_binary("not a batch").is_ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE((*ws)->receive().is_ok());
  const std::string text = env_.service().options().metrics->render();
  EXPECT_NE(text.find("fleetgate_telemetry_records_total{region=\"eu\"} 5\n"), std::string::npos) << text;
  EXPECT_NE(text.find("fleetgate_telemetry_records_total{region=\"us\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("fleetgate_telemetry_batches_total{region=\"eu\",outcome=\"stored\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("fleetgate_telemetry_batches_total{region=\"eu\",outcome=\"refused\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("fleetgate_telemetry_batches_total{region=\"eu\",outcome=\"failed\"} 0\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("fleetgate_telemetry_commit_writes_total{region=\"eu\"} 0\n"), std::string::npos)
      << "the stored batch took a group-commit write: " << text;
}

TEST_F(IngestTest, AResentFrameIsStoredOnce) {
  auto ws = connect(kEuVin);
  ASSERT_TRUE(ws);
  const std::string frame = encode_protobuf(make_record(kEuVin, 1, 30));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(ws->send_binary(frame).is_ok());
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(parse_ack(ws->receive().value()).ok());
  auto records = env_.service().region("eu")->read(kEuVin, INT64_MIN, INT64_MAX, 100);
  ASSERT_TRUE(records.is_ok());
  EXPECT_EQ(records->size(), 1u) << "blocks are keyed by their first record's (vehicle, created_at, seq)";
}

TEST_F(IngestTest, BadFramesAreRefusedAndTheConnectionStaysUsable) {
  auto ws = connect(kEuVin);
  ASSERT_TRUE(ws);
  Record future = make_record(kEuVin, 3, 50);
  future.created_at_ms = kIngestNowMs + 3'600'000;
  Record wrong_type = make_record(kEuVin, 4, 50);
  wrong_type.data.push_back({Field::kGear, int64_t{7}});
  ASSERT_TRUE(ws->send_binary("\xff\xff\xff garbage").is_ok());
  ASSERT_TRUE(ws->send_binary(encode_protobuf(make_record(kUsVin, 2, 50))).is_ok());
  ASSERT_TRUE(ws->send_binary(encode_protobuf(future)).is_ok());
  ASSERT_TRUE(ws->send_binary(encode_protobuf(wrong_type)).is_ok());
  ASSERT_TRUE(ws->send_binary(std::string(200 * 1024, 'x')).is_ok());
  ASSERT_TRUE(ws->send_binary(encode_protobuf(make_record(kEuVin, 5, 50))).is_ok());

  const std::vector<std::pair<std::string, std::string>> expected = {
      {"invalid_argument", "malformed protobuf"}, {"permission_denied", "sent by vehicle"},
      {"invalid_argument", "future"},             {"invalid_argument", "gear"}};
  for (const auto& [code, text] : expected) {
    wire::Ack ack = parse_ack(ws->receive().value());
    EXPECT_FALSE(ack.ok());
    EXPECT_EQ(ack.code(), code);
    EXPECT_NE(ack.error().find(text), std::string::npos) << ack.error();
  }
  // 200 KiB is beyond twice the frame limit: the server closes this connection only.
  EXPECT_FALSE(ws->receive().is_ok());
  auto other = connect(kUsVin);
  ASSERT_TRUE(other);
  ASSERT_TRUE(other->send_binary(encode_protobuf(make_record(kUsVin, 1, 5))).is_ok());
  EXPECT_TRUE(parse_ack(other->receive().value()).ok());
  auto stored = env_.service().region("eu")->read(kEuVin, INT64_MIN, INT64_MAX, 100);
  EXPECT_EQ(stored->size(), 0u) << "no refused frame reached the store";
}

TEST_F(IngestTest, OversizeFrameWithinTheReadLimitGetsAClearError) {
  auto ws = connect(kEuVin);
  ASSERT_TRUE(ws);
  ASSERT_TRUE(ws->send_binary(std::string(70 * 1024, 'x')).is_ok());
  wire::Ack ack = parse_ack(ws->receive().value());
  EXPECT_FALSE(ack.ok());
  EXPECT_NE(ack.error().find("exceeds the limit"), std::string::npos) << ack.error();
}

TEST_F(IngestTest, JsonTextFramesGetJsonAcks) {
  auto ws = connect(kUsVin);
  ASSERT_TRUE(ws);
  ASSERT_TRUE(ws->send(encode_json(make_record(kUsVin, 7, 33))).is_ok());
  ASSERT_TRUE(ws->send(R"({"vin":"5YJ3E1EA1PF412087"})").is_ok());
  auto ok = boost::json::parse(ws->receive().value()).as_object();
  EXPECT_EQ(ok.at("seq").as_int64(), 7);
  EXPECT_TRUE(ok.at("ok").as_bool());
  auto bad = boost::json::parse(ws->receive().value()).as_object();
  EXPECT_FALSE(bad.at("ok").as_bool());
  EXPECT_EQ(bad.at("code").as_string(), "invalid_argument");
}

TEST_F(IngestTest, UnregisteredVehicleIsRefused) {
  auto ws = TestWebSocket::connect("127.0.0.1", env_.server().port(), "/v1/telemetry/ws", bearer("operator:eu"));
  EXPECT_FALSE(ws.is_ok()) << "operators may not send telemetry";
}

TEST_F(IngestTest, HttpBatchIsAllOrNothing) {
  TestClient client("127.0.0.1", env_.server().port());
  std::string good = "[" + encode_json(make_record(kEuVin, 1, 10)) + "," + encode_json(make_record(kEuVin, 2, 20)) + "]";
  std::string bad = "[" + encode_json(make_record(kEuVin, 3, 10)) + "," + encode_json(make_record(kEuVin, 4, 900)) + "]";
  auto r = client.post("/v1/telemetry", bad, bearer("vehicle:" + std::string(kEuVin)));
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->status, 400u);
  EXPECT_NE(r->body.find("records[1]"), std::string::npos) << r->body;
  r = client.post("/v1/telemetry", good, bearer("vehicle:" + std::string(kEuVin)));
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->status, 200u) << r->body;
  EXPECT_NE(r->body.find("\"accepted\":2"), std::string::npos) << r->body;
  auto stored = env_.service().region("eu")->read(kEuVin, INT64_MIN, INT64_MAX, 100);
  ASSERT_EQ(stored->size(), 2u);

  wire::Batch batch;
  ASSERT_TRUE(batch.add_records()->ParseFromString(encode_protobuf(make_record(kEuVin, 5, 1))));
  r = client.post("/v1/telemetry", batch.SerializeAsString(),
                  {{"Authorization", "Bearer vehicle:" + std::string(kEuVin)}, {"Content-Type", "application/x-protobuf"}});
  EXPECT_EQ(r->status, 200u) << r->body;
  r = client.post("/v1/telemetry", good, {{"Authorization", "Bearer vehicle:" + std::string(kEuVin)}, {"Content-Type", "text/csv"}});
  EXPECT_EQ(r->status, 415u);
  r = client.post("/v1/telemetry", good, bearer("vehicle:" + std::string(kUsVin)));
  EXPECT_EQ(r->status, 403u) << "records of another vehicle";
}

TEST_F(IngestTest, WebSocketResendIsIdempotentAndAChangedResendIsRefusedAndAudited) {
  auto ws = connect(kEuVin);
  ASSERT_TRUE(ws);
  const std::string original = encode_protobuf(make_record(kEuVin, 1, 10));
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(ws->send_binary(original).is_ok());
    wire::Ack ack = parse_ack(ws->receive().value());
    EXPECT_TRUE(ack.ok()) << "the same bytes again are acknowledged: " << ack.error();
  }
  ASSERT_TRUE(ws->send_binary(encode_protobuf(make_record(kEuVin, 1, 99))).is_ok());
  wire::Ack refused = parse_ack(ws->receive().value());
  EXPECT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), "already_exists");
  EXPECT_NE(refused.error().find("seq 1"), std::string::npos) << refused.error();

  auto stored = env_.service().region("eu")->read(kEuVin, INT64_MIN, INT64_MAX, 100);
  ASSERT_TRUE(stored.is_ok());
  ASSERT_EQ(stored->size(), 1u) << "stored once";
  EXPECT_EQ(speed_of(stored->front()), 10.0) << "the original values stay";
  const audit::Entry entry = env_.audit().tail(1).value().front();
  EXPECT_EQ(entry.action, "telemetry.record.conflict");
  EXPECT_EQ(entry.subject, kEuVin);
  EXPECT_EQ(entry.region, "eu");
}

TEST_F(IngestTest, HttpBatchOverlappingStoredRecordsKeepsThemAndRefusesChangedOnes) {
  TestClient client("127.0.0.1", env_.server().port());
  const auto car = bearer("vehicle:" + std::string(kEuVin));
  const std::string first = "[" + encode_json(make_record(kEuVin, 1, 10)) + "," + encode_json(make_record(kEuVin, 2, 20)) + "]";
  auto r = client.post("/v1/telemetry", first, car);
  ASSERT_EQ(r->status, 200u) << r->body;
  // Part of the stored block again, plus a new record: both kept, nothing lost or doubled.
  r = client.post("/v1/telemetry", "[" + encode_json(make_record(kEuVin, 1, 10)) + "," + encode_json(make_record(kEuVin, 3, 30)) + "]", car);
  ASSERT_EQ(r->status, 200u) << r->body;
  auto stored = env_.service().region("eu")->read(kEuVin, INT64_MIN, INT64_MAX, 100);
  ASSERT_EQ(stored->size(), 3u);
  EXPECT_EQ(stored->at(1).seq, 2u);

  const uint64_t before = env_.audit().size();
  r = client.post("/v1/telemetry", "[" + encode_json(make_record(kEuVin, 1, 11)) + "]", car);
  EXPECT_EQ(r->status, 409u) << r->body;
  EXPECT_NE(r->body.find("already stored with other values"), std::string::npos) << r->body;
  EXPECT_EQ(env_.audit().size(), before + 1);
  stored = env_.service().region("eu")->read(kEuVin, INT64_MIN, INT64_MAX, 100);
  ASSERT_EQ(stored->size(), 3u);
  EXPECT_EQ(speed_of(stored->front()), 10.0);
}

TEST_F(IngestTest, LatestStateFoldsRecordsAndIgnoresLateOnes) {
  RegionTelemetry& eu = *env_.service().region("eu");
  ASSERT_TRUE(eu.append(batch_of({make_record(kEuVin, 10, 80, "D")})).is_ok());
  Record partial = make_record(kEuVin, 11, 0);
  partial.data = {{Field::kSpeed, 0.0}, {Field::kChargingState, std::string("charging")}};
  ASSERT_TRUE(eu.append(batch_of({partial})).is_ok());
  ASSERT_TRUE(eu.append(batch_of({make_record(kEuVin, 9, 120, "R")})).is_ok());  // late
  auto s = env_.service().latest_state(kEuVin);
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  EXPECT_EQ(s->speed_kmh(), 0.0);
  EXPECT_EQ(s->gear(), "D");
  EXPECT_EQ(s->charging(), true);
  EXPECT_EQ(s->charge_cable_connected(), true);
  EXPECT_EQ(s->seq, 11u);
  EXPECT_EQ(env_.service().latest_state(kUsVin).status().code(), Code::kNotFound);
}

TEST_F(IngestTest, LatestStateSurvivesARestart) {
  ASSERT_TRUE(env_.service().region("eu")->append(batch_of({make_record(kEuVin, 10, 42)})).is_ok());
  env_.close();
  env_.open();
  auto s = env_.service().latest_state(kEuVin);
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  EXPECT_EQ(s->speed_kmh(), 42.0);
  EXPECT_EQ(s->seq, 10u);
}

// The answer to a query for `vin` with the VIN itself blanked, to compare answers for two VINs.
std::pair<unsigned, std::string> answer_without(const std::string& vin, const http::testing::ClientResponse& r) {
  std::string body = r.body;
  for (size_t at = body.find(vin); at != std::string::npos; at = body.find(vin)) body.replace(at, vin.size(), "<VIN>");
  return {r.status, body};
}

TEST_F(IngestTest, OtherRegionsCannotTellAForeignVehicleFromAnUnregisteredOne) {
  const std::string unregistered = "LJ1EEASP2P4030915";
  TestClient client("127.0.0.1", env_.server().port());
  auto foreign = client.get("/v1/telemetry/" + std::string(kEuVin), bearer("operator:us"));
  auto absent = client.get("/v1/telemetry/" + unregistered, bearer("operator:us"));
  ASSERT_TRUE(foreign.is_ok() && absent.is_ok());
  EXPECT_EQ(foreign->status, 404u) << foreign->body;
  EXPECT_EQ(answer_without(kEuVin, *foreign), answer_without(unregistered, *absent));
}

TEST_F(IngestTest, RefusedQueriesOfOneCallerWriteABoundedNumberOfAuditEntries) {
  TestClient client("127.0.0.1", env_.server().port());
  const uint64_t before = env_.audit().size();
  for (int i = 0; i < 50; ++i) {
    auto r = client.get("/v1/telemetry/" + std::string(kEuVin), bearer("operator:us"));
    ASSERT_TRUE(r.is_ok());
    ASSERT_EQ(r->status, 404u);
  }
  EXPECT_EQ(env_.audit().size(), before + audit::RefusalBudget::kPerMinute);
}

TEST_F(IngestTest, QueryServesTheHomeRegionOnlyAndAuditsRefusals) {
  ASSERT_TRUE(env_.service().region("eu")->append(batch_of({make_record(kEuVin, 1, 10), make_record(kEuVin, 2, 20),
                                                            make_record(kEuVin, 3, 30)}))
                  .is_ok());
  TestClient client("127.0.0.1", env_.server().port());
  const std::string from = std::to_string(kIngestNowMs - 10'000 + 2);
  auto r = client.get("/v1/telemetry/" + std::string(kEuVin) + "?from=" + from + "&fields=speed", bearer("operator:eu"));
  ASSERT_TRUE(r.is_ok());
  ASSERT_EQ(r->status, 200u) << r->body;
  auto body = boost::json::parse(r->body).as_object();
  EXPECT_EQ(body.at("count").as_int64(), 2);
  auto first = body.at("records").as_array()[0].as_object();
  EXPECT_EQ(first.at("seq").as_int64(), 2);
  EXPECT_EQ(first.at("data").as_array().size(), 1u) << "only the requested field";

  const uint64_t before = env_.audit().size();
  r = client.get("/v1/telemetry/" + std::string(kEuVin), bearer("operator:us"));
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->status, 404u) << r->body;
  ASSERT_EQ(env_.audit().size(), before + 1);
  auto entry = env_.audit().tail(1).value().front();
  EXPECT_EQ(entry.action, "telemetry.query.refused");
  EXPECT_EQ(entry.subject, kEuVin);
  EXPECT_EQ(entry.region, "eu");
  EXPECT_EQ(entry.actor, "operator-us");

  r = client.get("/v1/telemetry/" + std::string(kEuVin), bearer("admin:*"));
  EXPECT_EQ(r->status, 200u);
  r = client.get("/v1/telemetry/" + std::string(kEuVin) + "?fields=sped", bearer("operator:eu"));
  EXPECT_EQ(r->status, 400u);
  r = client.get("/v1/telemetry/" + std::string(kEuVin), bearer("vehicle:" + std::string(kEuVin)));
  EXPECT_EQ(r->status, 403u) << "vehicles do not query";
}

}  // namespace
}  // namespace fleetgate::telemetry
