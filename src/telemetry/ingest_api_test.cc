// The telemetry API as README "Telemetry ingest" documents it: acks, both JSON forms, exact
// numbers, every limit and the query API. Each documented number is pinned here.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <regex>

#include "fleetgate/core/json_text.h"
#include "fleetgate/http/test_client.h"
#include "fleetgate/telemetry/ingest_test_env.h"
#include "fleetgate/telemetry/json_format.h"
#include "fleetgate/telemetry/proto/telemetry.pb.h"
#include "fleetgate/telemetry/proto_format.h"
#include "fleetgate/telemetry/sim_vehicle.h"
#include "fleetgate/telemetry/test_records.h"

namespace fleetgate::telemetry {
namespace {

namespace json = boost::json;
using http::testing::TestClient;
using http::testing::TestWebSocket;

constexpr const char* kEuVin = "XP7YGCEK7PB021447";  // homed in eu
const std::string kOtherEuVin = sim_vin(7);          // homed in eu too
constexpr int64_t kMinute = 60'000;
constexpr int64_t kDay = 24 * 60 * kMinute;

Record record_at(int64_t created_at, uint64_t seq, double speed = 50) {
  Record r;
  r.vin = kEuVin;
  r.seq = seq;
  r.created_at_ms = created_at;
  r.data = {{Field::kSpeed, speed}, {Field::kLocation, Location{52.5, 13.4, 90.0}}};
  return r;
}
Record record(uint64_t seq, double speed = 50) { return record_at(kIngestNowMs - 10'000 + static_cast<int64_t>(seq), seq, speed); }

http::testing::HeaderList bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

// An ack of either format as (seq, ok, code).
struct Ack {
  uint64_t seq = 0;
  bool ok = false;
  std::string code, error;
};
Ack binary_ack(const std::string& bytes) {
  wire::Ack a;
  EXPECT_TRUE(a.ParseFromString(bytes));
  return {a.seq(), a.ok(), a.code(), a.error()};
}
Ack text_ack(const std::string& text) {
  const json::object o = json::parse(text).as_object();
  Ack a{o.at("seq").to_number<uint64_t>(), o.at("ok").as_bool(), "", ""};
  if (!a.ok) {
    a.code = std::string(o.at("code").as_string());
    a.error = std::string(o.at("error").as_string());
  }
  return a;
}

class IngestApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_.add_vehicle(kEuVin, "DE");
    env_.add_vehicle(kOtherEuVin, "FR");
    env_.start();
  }
  std::unique_ptr<TestWebSocket> connect(std::string_view target = "/v1/telemetry/ws") {
    auto ws = TestWebSocket::connect("127.0.0.1", env_.server().port(), target, bearer(std::string("vehicle:") + kEuVin));
    EXPECT_TRUE(ws.is_ok()) << ws.status().to_string();
    return ws.is_ok() ? std::move(ws).value() : nullptr;
  }
  // The ack of one binary frame sent on a fresh connection.
  Ack ack_of_binary(const std::string& frame, std::string_view target = "/v1/telemetry/ws") {
    auto ws = connect(target);
    if (!ws || !ws->send_binary(frame).is_ok()) return {};
    auto reply = ws->receive();
    return reply.is_ok() ? binary_ack(*reply) : Ack{0, false, "closed", reply.status().to_string()};
  }
  Ack ack_of_text(const std::string& frame) {
    auto ws = connect();
    if (!ws || !ws->send(frame).is_ok()) return {};
    auto reply = ws->receive();
    return reply.is_ok() ? text_ack(*reply) : Ack{0, false, "closed", reply.status().to_string()};
  }
  std::vector<Record> stored() {
    auto records = env_.service().region("eu")->read(kEuVin, INT64_MIN, INT64_MAX, 100'000);
    EXPECT_TRUE(records.is_ok()) << records.status().to_string();
    return records.is_ok() ? *records : std::vector<Record>{};
  }
  http::testing::ClientResponse get(const std::string& target) {
    TestClient client("127.0.0.1", env_.server().port());
    auto r = client.get(target, bearer("operator:eu"));
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    return r.is_ok() ? *r : http::testing::ClientResponse{};
  }

  IngestEnv env_;
};

TEST_F(IngestApiTest, RefusingAcksNameTheSeqOfEveryFrameThatDecoded) {
  auto ws = connect();
  ASSERT_TRUE(ws);
  Record other_vehicle = record(8);
  other_vehicle.vin = "5YJ3E1EA1PF412087";
  ASSERT_TRUE(ws->send_binary(encode_protobuf(record(7, 900))).is_ok());  // out of range
  ASSERT_TRUE(ws->send_binary(encode_protobuf(other_vehicle)).is_ok());
  ASSERT_TRUE(ws->send_binary("\xff\xff\xff garbage").is_ok());
  ASSERT_TRUE(ws->send(encode_json(record(9, 900))).is_ok());
  ASSERT_TRUE(ws->send(proto3_json(record(10, 900))).is_ok());
  ASSERT_TRUE(ws->send("{").is_ok());
  for (const auto& [seq, code, text] : std::vector<std::tuple<uint64_t, std::string, bool>>{
           {7, "invalid_argument", false}, {8, "permission_denied", false}, {0, "invalid_argument", false},
           {9, "invalid_argument", true},  {10, "invalid_argument", true},  {0, "invalid_argument", true}}) {
    auto reply = ws->receive();
    ASSERT_TRUE(reply.is_ok()) << reply.status().to_string();
    const Ack ack = text ? text_ack(*reply) : binary_ack(*reply);
    EXPECT_FALSE(ack.ok);
    EXPECT_EQ(ack.code, code) << ack.error;
    EXPECT_EQ(ack.seq, seq) << ack.error;
  }

  std::vector<Record> batch{record(11), record(12, 900), record(13)};
  const Ack refused = ack_of_binary(encode_protobuf_batch(batch), "/v1/telemetry/ws?batch=1");
  EXPECT_FALSE(refused.ok);
  EXPECT_EQ(refused.seq, 13u) << "a refused batch names its last record, as an accepted one does";
  EXPECT_TRUE(stored().empty());
}

// Doubles Boost.JSON 1.81 reads an ulp or more off (the first) or writes with an exponent.
const std::vector<double> kTrickyDoubles = {422.13294228321837, 121.47500000000002, 0.1, 42.0, 299.99999999999994,
                                            1e-6, 123.456, 0.30000000000000004};

TEST_F(IngestApiTest, JsonNumbersReachTheStoreAndComeBackExactly) {
  auto ws = connect();
  ASSERT_TRUE(ws);
  for (size_t i = 0; i < kTrickyDoubles.size(); ++i) {
    Record r = record(i + 1, kTrickyDoubles[i]);
    r.data[1].value = Location{31.230416666666667, kTrickyDoubles[1], 359.99999999999994};
    ASSERT_TRUE(ws->send(encode_json(r)).is_ok());
    EXPECT_TRUE(text_ack(ws->receive().value()).ok);
  }
  const std::vector<Record> records = stored();
  ASSERT_EQ(records.size(), kTrickyDoubles.size());
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(std::get<double>(records[i].data[0].value), kTrickyDoubles[i]) << json_number(kTrickyDoubles[i]);
    EXPECT_EQ(std::get<Location>(records[i].data[1].value).lat, 31.230416666666667);
  }

  const http::testing::ClientResponse r = get(std::string("/v1/telemetry/") + kEuVin);
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_NE(r.body.find(R"({"field":"speed","value":422.13294228321837})"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"({"field":"speed","value":42})"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"({"lat":31.230416666666667,"lon":121.47500000000002,"heading":359.99999999999994})"),
            std::string::npos)
      << r.body;
  std::string numbers = r.body;
  for (size_t at; (at = numbers.find(kEuVin)) != std::string::npos;) numbers.erase(at, std::string_view(kEuVin).size());
  EXPECT_FALSE(std::regex_search(numbers, std::regex("[0-9][eE][-+]?[0-9]"))) << "no exponent: " << r.body;
  std::error_code ec;
  const json::value body = parse_json(r.body, ec);
  ASSERT_FALSE(ec);
  const json::array& out = body.at("records").as_array();
  ASSERT_EQ(out.size(), kTrickyDoubles.size());
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i].at("data").at(0).at("value").to_number<double>(), kTrickyDoubles[i]);
  }
}

TEST_F(IngestApiTest, FramesInTheProto3JsonMappingAreAccepted) {
  Record r = record(21, 422.13294228321837);
  r.data.push_back({Field::kGear, std::string("D")});
  r.data.push_back({Field::kRangeEstimate, int64_t{412}});
  r.data.push_back({Field::kChargePortOpen, true});
  const std::string camel = proto3_json(r);
  ASSERT_NE(camel.find(R"("createdAt":")"), std::string::npos) << camel;
  ASSERT_NE(camel.find(R"("field":"FIELD_SPEED")"), std::string::npos) << camel;
  ASSERT_NE(camel.find(R"("doubleValue":422.13294228321837)"), std::string::npos) << camel;
  const Ack ack = ack_of_text(camel);
  EXPECT_TRUE(ack.ok) << ack.error;
  EXPECT_EQ(ack.seq, 21u);

  Record second = record(22, 0.1);
  second.data.push_back({Field::kGear, std::string("P")});
  const std::string proto_names = proto3_json(second, true);
  ASSERT_NE(proto_names.find(R"("created_at":")"), std::string::npos) << proto_names;
  EXPECT_TRUE(ack_of_text(proto_names).ok) << proto_names;

  Record third = record(23);
  TestClient client("127.0.0.1", env_.server().port());
  auto posted = client.post("/v1/telemetry", "[" + proto3_json(third) + "," + encode_json(record(24)) + "]",
                            bearer(std::string("vehicle:") + kEuVin));
  ASSERT_TRUE(posted.is_ok());
  EXPECT_EQ(posted->status, 200u) << posted->body;

  const std::vector<Record> records = stored();
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0].data, r.data);
  EXPECT_EQ(records[1].data, second.data);
  EXPECT_EQ(records[2].data, third.data);

  const Ack unknown = ack_of_text(R"({"vin":"XP7YGCEK7PB021447","createdAt":"1748735990000","seq":"5","colour":"red"})");
  EXPECT_FALSE(unknown.ok);
  EXPECT_EQ(unknown.seq, 0u);
  EXPECT_NE(unknown.error.find("proto3 mapping"), std::string::npos) << unknown.error;
  EXPECT_NE(unknown.error.find("colour"), std::string::npos) << unknown.error;
}

TEST_F(IngestApiTest, DefaultsAreTheDocumentedNumbers) {
  const IngestOptions o;
  EXPECT_EQ(o.validation.max_frame_bytes, 65'536u);
  EXPECT_EQ(o.validation.max_data_items, 256u);
  EXPECT_EQ(o.validation.max_clock_skew, std::chrono::minutes(5));
  EXPECT_EQ(o.validation.max_age, std::chrono::days(7));
  EXPECT_EQ(o.max_in_flight_frames, 256u);
  EXPECT_EQ(o.max_batch_records, 10'000u);
  EXPECT_EQ(o.max_batch_frame_bytes, 1'048'576u);
  EXPECT_EQ(o.max_query_records, 10'000u);
  EXPECT_EQ(TelemetryQuery{}.limit, 1'000u);
}

TEST_F(IngestApiTest, TimeLimitsAreInclusive) {
  const int64_t now = kIngestNowMs;
  EXPECT_TRUE(ack_of_binary(encode_protobuf(record_at(now + 5 * kMinute, 1))).ok);
  const Ack future = ack_of_binary(encode_protobuf(record_at(now + 5 * kMinute + 1, 2)));
  EXPECT_FALSE(future.ok);
  EXPECT_NE(future.error.find("allowed skew 300000 ms"), std::string::npos) << future.error;
  EXPECT_TRUE(ack_of_binary(encode_protobuf(record_at(now - 7 * kDay, 3))).ok);
  const Ack old = ack_of_binary(encode_protobuf(record_at(now - 7 * kDay - 1, 4)));
  EXPECT_FALSE(old.ok);
  EXPECT_NE(old.error.find("maximum age of 604800000 ms"), std::string::npos) << old.error;
}

TEST_F(IngestApiTest, SizeAndCountLimits) {
  Record full = record(1);
  full.data.resize(1);
  while (full.data.size() < 256) full.data.push_back(full.data.front());
  EXPECT_TRUE(ack_of_binary(encode_protobuf(full)).ok);
  full.data.push_back(full.data.front());
  const Ack items = ack_of_binary(encode_protobuf(full));
  EXPECT_NE(items.error.find("record has 257 data items, at most 256"), std::string::npos) << items.error;

  // A frame over 64 KiB is refused with an ack; over twice that, the connection is closed.
  const Ack big = ack_of_binary(std::string(131'072, 'x'));
  EXPECT_EQ(big.code, "invalid_argument");
  EXPECT_NE(big.error.find("frame of 131072 bytes exceeds the limit of 65536 bytes"), std::string::npos) << big.error;
  EXPECT_EQ(ack_of_binary(std::string(131'073, 'x')).code, "closed");
  // Batch frames: up to 1 MiB each.
  EXPECT_EQ(ack_of_binary(std::string(1'048'576, 'x'), "/v1/telemetry/ws?batch=1").code, "invalid_argument");
  EXPECT_EQ(ack_of_binary(std::string(1'048'577, 'x'), "/v1/telemetry/ws?batch=1").code, "closed");

  std::vector<Record> many;
  for (uint64_t seq = 1; seq <= 10'001; ++seq) many.push_back(record_at(kIngestNowMs - 20'000 + static_cast<int64_t>(seq), seq));
  TestClient client("127.0.0.1", env_.server().port());
  const http::testing::HeaderList headers{{"Authorization", std::string("Bearer vehicle:") + kEuVin},
                                          {"Content-Type", "application/x-protobuf"}};
  auto r = client.post("/v1/telemetry", encode_protobuf_batch(many), headers);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->status, 400u);
  EXPECT_NE(r->body.find("batch of 10001 records exceeds the limit of 10000"), std::string::npos) << r->body;
  many.pop_back();
  r = client.post("/v1/telemetry", encode_protobuf_batch(many), headers);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->status, 200u) << r->body;
  EXPECT_EQ(r->body, R"({"accepted":10000})");
}

TEST_F(IngestApiTest, QueryWindowLimitFieldsAndShape) {
  wire::Batch batch;
  for (uint64_t seq = 1; seq <= 10'001; ++seq) to_payload(record_at(kIngestNowMs - 20'000 + static_cast<int64_t>(seq), seq), *batch.add_records());
  ASSERT_TRUE(env_.service().region("eu")->append(batch).is_ok());
  const std::string base = std::string("/v1/telemetry/") + kEuVin;
  const auto body_of = [&](const std::string& query) {
    const http::testing::ClientResponse r = get(base + query);
    EXPECT_EQ(r.status, 200u) << query << ": " << r.body;
    return json::parse(r.body).as_object();
  };

  json::object all = body_of("");
  EXPECT_EQ(all.at("vin").as_string(), kEuVin);
  EXPECT_EQ(all.at("count").as_int64(), 1000) << "limit defaults to 1000";
  EXPECT_EQ(all.at("records").as_array().size(), 1000u);
  EXPECT_EQ(all.at("records").as_array()[0].at("seq").as_int64(), 1) << "oldest first";
  EXPECT_EQ(body_of("?limit=20000").at("count").as_int64(), 10'000) << "limit is capped at 10000";

  const int64_t t = kIngestNowMs - 20'000;
  json::object window = body_of("?from=" + std::to_string(t + 5) + "&to=" + std::to_string(t + 7) + "&fields=location");
  ASSERT_EQ(window.at("count").as_int64(), 3) << "from and to are inclusive";
  const json::object first = window.at("records").as_array()[0].as_object();
  EXPECT_EQ(first.at("created_at").as_int64(), t + 5);
  EXPECT_EQ(first.at("seq").as_int64(), 5);
  EXPECT_EQ(first.at("vin").as_string(), kEuVin);
  EXPECT_EQ(json_text(first.at("data")), R"([{"field":"location","value":{"lat":52.5,"lon":13.4,"heading":90}}])");

  // Paging: the next page starts at the last record's created_at; the records of that
  // millisecond already held are skipped by (created_at, seq).
  json::object page = body_of("?limit=2&from=" + std::to_string(t + 5));
  EXPECT_EQ(page.at("records").as_array()[1].at("seq").as_int64(), 6);
  page = body_of("?limit=2&from=" + std::to_string(t + 6));
  EXPECT_EQ(page.at("records").as_array()[0].at("seq").as_int64(), 6);

  for (const std::string bad : {"?limit=0", "?from=x", "?from=5&to=4", "?fields=sped"}) {
    EXPECT_EQ(get(base + bad).status, 400u) << bad;
  }
}

// A record as a query answers it, told apart from a record with the same key but other values.
struct Seen {
  int64_t created_at;
  int64_t seq;
  double speed;
  bool operator==(const Seen&) const = default;
};
std::vector<Seen> seen(const json::array& records) {
  std::vector<Seen> out;
  for (const json::value& r : records) {
    const json::object& o = r.as_object();
    out.push_back({o.at("created_at").as_int64(), o.at("seq").as_int64(),
                   o.at("data").as_array()[0].at("value").to_number<double>()});
  }
  return out;
}

// Two frames whose records interleave in time, and a third that repeats the (created_at, seq) of a
// record of the first with another value inside a block of its own (stored apart, never compared).
TEST_F(IngestApiTest, PagingWithTheCursorYieldsEveryRecordOnceInTimeAndSeqOrder) {
  const int64_t t = kIngestNowMs - 20'000;
  wire::Batch odd, even, again;
  for (uint64_t seq = 1; seq <= 41; ++seq) {
    to_payload(record_at(t + static_cast<int64_t>(seq) * 10, seq), seq % 2 ? *odd.add_records() : *even.add_records());
  }
  to_payload(record_at(t + 5, 100), *again.add_records());
  to_payload(record_at(t + 30, 3, 99), *again.add_records());
  for (const wire::Batch* b : {&odd, &even, &again}) ASSERT_TRUE(env_.service().region("eu")->append(*b).is_ok());
  const std::string base = std::string("/v1/telemetry/") + kEuVin;

  const http::testing::ClientResponse whole = get(base);
  ASSERT_EQ(whole.status, 200u) << whole.body;
  const json::object all = json::parse(whole.body).as_object();
  EXPECT_TRUE(all.at("next_cursor").is_null()) << "everything fit in one page";
  const std::vector<Seen> expected = seen(all.at("records").as_array());
  ASSERT_EQ(expected.size(), 43u);
  for (size_t i = 1; i < expected.size(); ++i) {
    const Seen& a = expected[i - 1];
    const Seen& b = expected[i];
    EXPECT_TRUE(std::pair(a.created_at, a.seq) <= std::pair(b.created_at, b.seq)) << "record " << i << " out of order";
  }
  EXPECT_EQ(std::count(expected.begin(), expected.end(), Seen{t + 30, 3, 99}), 1) << "the repeated key's second record";

  // Every page through `query` with `limit`, following next_cursor until it is null.
  const auto page_through = [&](const std::string& query, size_t limit) {
    std::vector<Seen> got;
    std::string cursor;
    for (int pages = 0; pages <= 100; ++pages) {
      const std::string target =
          base + "?limit=" + std::to_string(limit) + query + (cursor.empty() ? "" : "&cursor=" + cursor);
      const http::testing::ClientResponse r = get(target);
      EXPECT_EQ(r.status, 200u) << target << ": " << r.body;
      if (r.status != 200) break;
      const json::object page = json::parse(r.body).as_object();
      const std::vector<Seen> records = seen(page.at("records").as_array());
      EXPECT_EQ(page.at("count").as_int64(), static_cast<int64_t>(records.size()));
      EXPECT_LE(records.size(), limit);
      got.insert(got.end(), records.begin(), records.end());
      if (page.at("next_cursor").is_null()) return got;
      EXPECT_EQ(records.size(), limit) << "only the last page is short";
      cursor = std::string(page.at("next_cursor").as_string());
    }
    ADD_FAILURE() << "paging did not end";
    return got;
  };
  for (size_t limit : {1u, 2u, 7u, 43u, 1000u}) {
    SCOPED_TRACE("limit " + std::to_string(limit));
    EXPECT_EQ(page_through("", limit), expected);
  }
  // A window: the pages hold exactly its records.
  std::vector<Seen> window;
  std::copy_if(expected.begin(), expected.end(), std::back_inserter(window),
               [&](const Seen& r) { return r.created_at >= t + 30 && r.created_at <= t + 120; });
  ASSERT_EQ(window.size(), 11u);
  for (size_t limit : {1u, 3u, 11u}) {
    SCOPED_TRACE("window, limit " + std::to_string(limit));
    EXPECT_EQ(page_through("&from=" + std::to_string(t + 30) + "&to=" + std::to_string(t + 120), limit), window);
  }
}

TEST_F(IngestApiTest, ACursorContinuesOnlyTheQueryItWasIssuedFor) {
  const int64_t t = kIngestNowMs - 20'000;
  for (const std::string& vin : {std::string(kEuVin), kOtherEuVin}) {
    wire::Batch batch;
    for (uint64_t seq = 1; seq <= 3; ++seq) {
      Record r = record_at(t + static_cast<int64_t>(seq), seq);
      r.vin = vin;
      to_payload(r, *batch.add_records());
    }
    ASSERT_TRUE(env_.service().region("eu")->append(batch).is_ok());
  }
  const auto next_cursor = [&](const std::string& target) {
    const http::testing::ClientResponse r = get(target);
    EXPECT_EQ(r.status, 200u) << r.body;
    const json::value body = json::parse(r.body);
    const json::value& next = body.at("next_cursor");
    return next.is_string() ? std::string(next.as_string()) : std::string();
  };
  const std::string base = std::string("/v1/telemetry/") + kEuVin;
  const std::string mine = next_cursor(base + "?limit=1&to=" + std::to_string(t + 3));
  const std::string theirs = next_cursor("/v1/telemetry/" + kOtherEuVin + "?limit=1&to=" + std::to_string(t + 3));
  ASSERT_FALSE(mine.empty());
  ASSERT_FALSE(theirs.empty());
  EXPECT_EQ(mine.size(), 58u) << "as README documents it today";
  EXPECT_EQ(mine.find_first_not_of("0123456789abcdef"), std::string::npos) << mine;

  const auto refused = [&](const std::string& query) {
    const http::testing::ClientResponse r = get(base + query);
    EXPECT_EQ(r.status, 400u) << query << ": " << r.body;
    const json::object error = json::parse(r.body).at("error").as_object();
    EXPECT_EQ(error.at("type"), "invalid_request_error") << r.body;
    EXPECT_EQ(error.at("code"), "invalid_argument") << r.body;
    EXPECT_NE(std::string(error.at("message").as_string()).find("cursor"), std::string::npos) << r.body;
  };
  refused("?to=" + std::to_string(t + 3) + "&cursor=" + theirs);  // another vehicle's
  refused("?cursor=" + mine);                                      // other bounds (to)
  refused("?to=" + std::to_string(t + 4) + "&cursor=" + mine);
  refused("?to=" + std::to_string(t + 3) + "&cursor=");
  refused("?to=" + std::to_string(t + 3) + "&cursor=not-a-cursor");
  refused("?to=" + std::to_string(t + 3) + "&cursor=" + mine.substr(0, mine.size() - 2));
  std::string flipped = mine;
  flipped[4] = flipped[4] == '0' ? '1' : '0';  // inside the query tag
  refused("?to=" + std::to_string(t + 3) + "&cursor=" + flipped);

  // Limit and fields may change from page to page.
  const http::testing::ClientResponse rest =
      get(base + "?to=" + std::to_string(t + 3) + "&limit=5&fields=speed&cursor=" + mine);
  ASSERT_EQ(rest.status, 200u) << rest.body;
  const json::object page = json::parse(rest.body).as_object();
  EXPECT_EQ(page.at("count").as_int64(), 2);
  EXPECT_EQ(page.at("records").as_array()[0].at("seq").as_int64(), 2);
  EXPECT_TRUE(page.at("next_cursor").is_null());
}

}  // namespace
}  // namespace fleetgate::telemetry
