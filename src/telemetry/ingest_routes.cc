#include "fleetgate/telemetry/ingest_routes.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json/object.hpp>

#include <charconv>
#include <deque>
#include <optional>

#include "fleetgate/core/json_text.h"
#include "fleetgate/http/error.h"
#include "fleetgate/http/websocket.h"
#include "fleetgate/privacy/coarsen.h"
#include "fleetgate/telemetry/catalogue.h"
#include "fleetgate/telemetry/json_format.h"
#include "fleetgate/telemetry/proto/telemetry.pb.h"

namespace fleetgate::telemetry {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using namespace net::experimental::awaitable_operators;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);

// The ack of one frame, in the frame's own format: `records` stored up to `seq`, or refused.
std::string encode_ack(uint64_t seq, size_t records, const Status& s, bool text) {
  if (text) {
    boost::json::object o{{"seq", seq}, {"ok", s.is_ok()}};
    if (s.is_ok()) {
      o["records"] = records;
    } else {
      o["code"] = code_name(s.code());
      o["error"] = s.message();
    }
    return json_text(o);
  }
  wire::Ack ack;
  ack.set_seq(seq);
  ack.set_ok(s.is_ok());
  if (s.is_ok()) {
    ack.set_records(static_cast<uint32_t>(records));
  } else {
    ack.set_code(code_name(s.code()));
    ack.set_error(s.message());
  }
  return ack.SerializeAsString();
}

// Acks of one connection in frame order. Touched only on the connection's strand; store
// completions post there. The handler returns only once every submitted frame completed, so no
// completion outlives the connection.
struct AckQueue {
  struct Slot {
    std::optional<std::string> ack;  // set once the frame is durable or refused
    bool text = false;
  };
  explicit AckQueue(const net::any_io_executor& ex) : acker_wake(ex), reader_wake(ex) {
    acker_wake.expires_at(net::steady_timer::time_point::max());
    reader_wake.expires_at(net::steady_timer::time_point::max());
  }
  Slot& slot(uint64_t index) { return slots[index - base]; }
  void complete(uint64_t index, std::string ack) {
    slot(index).ack = std::move(ack);
    acker_wake.cancel();
  }

  std::deque<Slot> slots;
  uint64_t base = 0;  // frame index of slots.front()
  bool reader_done = false;
  bool broken = false;    // an ack could not be written: stop reading
  bool closing = false;  // a close frame was started (revocation or the end of the socket)
  bool closed = false;   // the revocation's close completed
  net::steady_timer acker_wake;
  net::steady_timer reader_wake;
};

net::awaitable<void> wait(net::steady_timer& t) { co_await t.async_wait(kTuple); }

net::awaitable<void> read_frames(IngestService& service, const VehicleChannel& channel, bool batch,
                                 http::WebSocketSession& session, std::shared_ptr<AckQueue> q) {
  http::WebSocketSession::Stream& ws = session.stream();
  const net::any_io_executor ex = ws.get_executor();
  beast::flat_buffer buffer;
  for (;;) {
    while (q->slots.size() >= service.options().max_in_flight_frames && !q->broken) co_await wait(q->reader_wake);
    if (q->broken) break;
    buffer.clear();
    auto [ec, n] = co_await ws.async_read(buffer, kTuple);
    if (ec || session.revoked()) break;  // once the credential is revoked, nothing more is stored
    const bool text = ws.got_text();
    const uint64_t index = q->base + q->slots.size();
    q->slots.push_back({std::nullopt, text});
    const std::string_view bytes(static_cast<const char*>(buffer.data().data()), buffer.size());
    // No suspension from parse to submit: the records are in this thread's parse buffer.
    IngestService::Parsed parsed =
        service.parse(channel, bytes, text ? FrameFormat::kJson : FrameFormat::kProtobuf, batch);
    const uint64_t seq = parsed.ack_seq;
    if (!parsed.records.is_ok()) {
      q->complete(index, encode_ack(seq, 0, parsed.records.status(), text));
      continue;
    }
    const wire::Batch& frame = **parsed.records;
    const size_t count = static_cast<size_t>(frame.records_size());
    Status queued = service.submit(channel, frame, [q, ex, index, seq, count, text](Status s) {
      net::post(ex, [q, index, ack = encode_ack(seq, count, s, text)]() mutable { q->complete(index, std::move(ack)); });
    });
    if (!queued.is_ok()) q->complete(index, encode_ack(seq, count, queued, text));
  }
  q->reader_done = true;
  q->acker_wake.cancel();
}

net::awaitable<void> write_acks(http::WebSocketSession::Stream& ws, std::shared_ptr<AckQueue> q) {
  while (!(q->reader_done && q->slots.empty())) {
    if (q->slots.empty() || !q->slots.front().ack) {
      co_await wait(q->acker_wake);
      continue;
    }
    AckQueue::Slot slot = std::move(q->slots.front());
    q->slots.pop_front();
    ++q->base;
    q->reader_wake.cancel();
    if (q->broken) continue;  // still drain: completions must not outlive the connection
    ws.text(slot.text);
    auto [ec, n] = co_await ws.async_write(net::buffer(*slot.ack), kTuple);
    if (ec) q->broken = true;
  }
}

// Ends the socket of a revoked credential with a close frame that says why (1008, policy).
void close_revoked(http::WebSocketSession::Stream& ws, const std::shared_ptr<AckQueue>& q) {
  if (q->closing) return;
  q->closing = true;
  ws.async_close(websocket::close_reason(websocket::close_code::policy_error, "credential revoked"),
                 [q](beast::error_code) {
                   q->closed = true;
                   q->acker_wake.cancel();
                 });
}

// Counts an open telemetry WebSocket in its car's region while it lives.
class ConnectionCount {
 public:
  explicit ConnectionCount(http::Gauge& gauge) : gauge_(gauge) { gauge_.inc(); }
  ~ConnectionCount() { gauge_.dec(); }
  ConnectionCount(const ConnectionCount&) = delete;
  ConnectionCount& operator=(const ConnectionCount&) = delete;

 private:
  http::Gauge& gauge_;
};

net::awaitable<void> serve_socket(IngestService& service, http::GaugeFamily& connections, const http::Request& req,
                                  http::WebSocketSession& session) {
  http::WebSocketSession::Stream& ws = session.stream();
  auto q = std::make_shared<AckQueue>(ws.get_executor());
  session.on_revoked([q, &ws] { close_revoked(ws, q); });
  VehicleChannel channel;
  auto open = [&service, &req, &channel]() -> Status {
    Result<VehicleChannel> opened = service.open_channel(*req.principal());
    if (!opened.is_ok()) return opened.status();
    channel = std::move(opened).value();
    // Warm the latest-state cache so frames never wait for a store read on the I/O thread.
    (void)channel.store->latest(channel.vin);
    return Status::ok();
  };
  const Status opened = co_await session.run_blocking(std::move(open));
  if (opened.is_ok() && !q->closing) {
    const ConnectionCount counted(connections.with({channel.region}));
    const bool batch = req.query_param("batch") == "1";
    ws.read_message_max(batch ? service.options().max_batch_frame_bytes
                              : 2 * service.options().validation.max_frame_bytes);
    co_await (read_frames(service, channel, batch, session, q) && write_acks(ws, q));
  }
  if (q->closing) {  // revoked: the revocation's close frame is on its way
    while (!q->closed) co_await wait(q->acker_wake);
  } else if (!q->broken) {
    q->closing = true;
    const auto why = opened.is_ok() ? websocket::close_reason(websocket::close_code::normal)
                                    : websocket::close_reason(websocket::close_code::policy_error,
                                                              opened.message().substr(0, 120));
    co_await ws.async_close(why, kTuple);
  }
}

std::optional<FrameFormat> format_of(std::string_view content_type) {
  const std::string_view media = content_type.substr(0, content_type.find(';'));
  if (media == "application/json") return FrameFormat::kJson;
  if (media == "application/x-protobuf" || media == "application/protobuf" || media == "application/octet-stream") {
    return FrameFormat::kProtobuf;
  }
  return std::nullopt;
}

http::Response post_batch(IngestService& service, const http::Request& req) {
  std::optional<FrameFormat> format = format_of(req.header("Content-Type"));
  if (!format) {
    return http::error_response(http::StatusCode::unsupported_media_type,
                                "Content-Type must be application/x-protobuf or application/json",
                                "unsupported_media_type");
  }
  Result<size_t> n = service.ingest_batch(*req.principal(), req.body(), *format);
  if (!n.is_ok()) return http::error_response(n.status());
  return http::Response::json(http::StatusCode::ok, boost::json::object{{"accepted", *n}});
}

Result<int64_t> int_param(const http::Request& req, std::string_view name, int64_t fallback) {
  std::optional<std::string> text = req.query_param(name);
  if (!text) return fallback;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc() || end != text->data() + text->size()) {
    return invalid_argument("query parameter " + std::string(name) + " must be an integer, got '" + text->substr(0, 40) + "'");
  }
  return v;
}

Result<TelemetryQuery> parse_query(const http::Request& req) {
  TelemetryQuery q;
  q.vin = std::string(req.param("vin"));
  Result<int64_t> from = int_param(req, "from", INT64_MIN);
  Result<int64_t> to = int_param(req, "to", INT64_MAX);
  Result<int64_t> limit = int_param(req, "limit", static_cast<int64_t>(q.limit));
  for (const Result<int64_t>* r : {&from, &to, &limit}) {
    if (!r->is_ok()) return r->status();
  }
  if (*limit < 1) return invalid_argument("limit must be at least 1");
  q.from_ms = *from;
  q.to_ms = *to;
  q.limit = static_cast<size_t>(*limit);
  if (std::optional<std::string> cursor = req.query_param("cursor")) {
    if (cursor->empty()) return invalid_argument("cursor is empty: leave it out to start at the first record");
    q.cursor = std::move(*cursor);
  }
  if (std::optional<std::string> fields = req.query_param("fields")) {
    std::string_view rest = *fields;
    while (!rest.empty()) {
      const std::string_view name = rest.substr(0, rest.find(','));
      rest.remove_prefix(std::min(rest.size(), name.size() + 1));
      const FieldSpec* f = find_field(name);
      if (f == nullptr) return invalid_argument("unknown field '" + std::string(name.substr(0, 40)) + "'");
      q.fields.push_back(f->field);
    }
  }
  return q;
}

http::Response get_records(IngestService& service, const http::Request& req) {
  Result<TelemetryQuery> q = parse_query(req);
  if (!q.is_ok()) return http::error_response(q.status());
  Result<TelemetryPage> page = service.query(*req.principal(), *q);
  if (!page.is_ok()) return http::error_response(page.status());
  boost::json::array out;
  out.reserve(page->records.size());
  for (const Record& r : page->records) out.emplace_back(to_json(r));
  const boost::json::value next =
      page->next_cursor.empty() ? boost::json::value(nullptr) : boost::json::value(page->next_cursor);
  return http::Response::json(http::StatusCode::ok, boost::json::object{{"vin", q->vin},
                                                                        {"count", out.size()},
                                                                        {"records", std::move(out)},
                                                                        {"next_cursor", next}});
}

// The coarsened cells the page's locations pass through, one point per change of cell.
boost::json::array coarse_track(const privacy::Coarsener& coarsener, const std::vector<Record>& records) {
  boost::json::array points;
  std::optional<privacy::LatLon> last;
  for (const Record& r : records) {
    for (const Datum& d : r.data) {
      const Location* at = std::get_if<Location>(&d.value);
      if (at == nullptr) continue;
      const std::optional<privacy::LatLon> cell = coarsener.coarsen({at->lat, at->lon});
      if (!cell || cell == last) continue;
      last = cell;
      points.emplace_back(boost::json::object{
          {"time_ms", coarsener.bucket_time(r.created_at_ms)}, {"lat", cell->lat}, {"lon", cell->lon}});
    }
  }
  return points;
}

http::Response get_track(IngestService& service, const privacy::Coarsener& coarsener, const http::Request& req) {
  Result<TelemetryQuery> q = parse_query(req);
  if (!q.is_ok()) return http::error_response(q.status());
  if (req.query_param("fields")) return http::error_response(invalid_argument("fields: a track reads only the location"));
  q->fields = {Field::kLocation};
  Result<TelemetryPage> page = service.query(*req.principal(), *q);
  if (!page.is_ok()) return http::error_response(page.status());
  const boost::json::value next =
      page->next_cursor.empty() ? boost::json::value(nullptr) : boost::json::value(page->next_cursor);
  return http::Response::json(http::StatusCode::ok, boost::json::object{{"vin", q->vin},
                                                                        {"grid_degrees", coarsener.options().grid_degrees},
                                                                        {"records", page->records.size()},
                                                                        {"points", coarse_track(coarsener, page->records)},
                                                                        {"next_cursor", next}});
}

}  // namespace

Status register_ingest_routes(http::Server& server, IngestService& service) {
  const http::RouteOptions vehicles = http::RouteOptions::for_roles({"vehicle"});
  auto connections = server.metrics().gauge("fleetgate_telemetry_connections", "Open telemetry WebSockets, by home region",
                                            {"region"});
  if (!connections.is_ok()) return connections.status();
  if (Status s = server.websocket_route("/v1/telemetry/ws", vehicles,
                                        [&service, connections = *connections](const http::Request& req,
                                                                                http::WebSocketSession& session) {
                                          return serve_socket(service, *connections, req, session);
                                        });
      !s.is_ok()) {
    return s;
  }
  if (Status s = server.route(http::Verb::post, "/v1/telemetry", vehicles,
                              [&service](const http::Request& req) { return post_batch(service, req); });
      !s.is_ok()) {
    return s;
  }
  if (Status s = server.route(http::Verb::get, "/v1/telemetry/{vin}", http::RouteOptions::for_roles({"operator", "admin"}),
                              [&service](const http::Request& req) { return get_records(service, req); });
      !s.is_ok()) {
    return s;
  }
  auto coarsener = privacy::Coarsener::create({});
  if (!coarsener.is_ok()) return coarsener.status();
  return server.route(http::Verb::get, "/v1/telemetry/{vin}/track", http::RouteOptions::for_roles({"operator", "admin"}),
                      [&service, coarsener = std::move(coarsener).value()](const http::Request& req) {
                        return get_track(service, coarsener, req);
                      });
}

}  // namespace fleetgate::telemetry
