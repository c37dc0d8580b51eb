#include "fleetgate/console/overview_routes.h"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <optional>

#include "fleetgate/core/json_text.h"
#include "fleetgate/http/blocking.h"
#include "fleetgate/http/error.h"
#include "fleetgate/http/stream_writer.h"

namespace fleetgate::console {
namespace {

namespace net = boost::asio;
namespace json = boost::json;
using http::Request;
using http::Response;

constexpr std::chrono::seconds kInterval{1};

Response snapshot(const Overview& overview, const Request& req) {
  auto now = overview.take(*req.principal());
  if (!now.is_ok()) return http::error_response(now.status());
  return Response::json(http::StatusCode::ok, Overview::to_json(*now, nullptr));
}

std::string error_json(const Status& s) {
  const http::StatusCode status = http::http_status_for(s.code());
  return json::serialize(json::object{
      {"error", json::object{{"message", s.message()}, {"type", http::error_type_for(status)}, {"code", code_name(s.code())}}}});
}

net::awaitable<void> stream(const Overview& overview, const http::Authenticator& authenticator, net::any_io_executor workers,
                            const Request& req, http::StreamWriter& writer) {
  if (Status s = writer.start(); !s.is_ok()) co_return;
  auto timer = std::make_shared<net::steady_timer>(co_await net::this_coro::executor);
  writer.on_cancel([timer] { net::post(timer->get_executor(), [timer] { timer->cancel(); }); });
  std::optional<OverviewSnapshot> before;
  while (!writer.cancelled()) {
    // In an optional: co_spawn needs a result it can default-construct, which Result is not.
    auto take = [&overview, &authenticator, &req]() -> std::optional<Result<OverviewSnapshot>> {
      auto who = authenticator.authenticate(req);
      if (!who.is_ok()) return Result<OverviewSnapshot>(who.status());
      return overview.take(*who);
    };
    Result<OverviewSnapshot> now = *co_await http::run_blocking(workers, take);
    if (!now.is_ok()) {
      (void)writer.send_event(error_json(now.status()), "end");
      co_return;
    }
    if (!writer.send_event(json_text(Overview::to_json(*now, before ? &*before : nullptr)), "overview").is_ok()) co_return;
    co_await writer.writable();
    before = std::move(now).value();
    boost::system::error_code ec;
    timer->expires_after(kInterval);
    co_await timer->async_wait(net::redirect_error(net::use_awaitable, ec));
  }
}

}  // namespace

Status register_overview_routes(http::Server& server, const Overview& overview, const http::Authenticator& authenticator) {
  const http::RouteOptions users = http::RouteOptions::for_roles({"operator", "approver", "dpo", "auditor", "admin"});
  Status s = server.route(http::Verb::get, "/v1/console/overview", users,
                          [&overview](const Request& r) { return snapshot(overview, r); });
  if (!s.is_ok()) return s;
  net::any_io_executor workers = server.workers();
  return server.async_stream_route(http::Verb::get, "/v1/console/overview/stream", users,
                                   [&overview, &authenticator, workers](const Request& r, http::StreamWriter& w) {
                                     return stream(overview, authenticator, workers, r, w);
                                   });
}

}  // namespace fleetgate::console
