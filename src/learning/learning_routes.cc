#include "fleetgate/learning/dataset_routes.h"

#include <boost/json.hpp>

#include "fleetgate/http/error.h"
#include "fleetgate/learning/dataset.h"
#include "fleetgate/learning/dataset_json.h"

namespace fleetgate::learning {
namespace {

using Stores = std::vector<std::pair<std::string, const store::KvReader*>>;

http::Response list(const Stores& stores, const http::Request& req) {
  const http::Principal& who = *req.principal();
  const std::optional<std::string> only = req.query_param("region");
  if (only && !who.may_act_in(*only)) {
    return http::error_response(permission_denied("your grant does not cover region '" + *only + "'"));
  }
  bool served = !only;
  boost::json::array data;
  for (const auto& [region, store] : stores) {
    if ((only && region != *only) || !who.may_act_in(region)) continue;
    served = true;
    auto datasets = list_datasets(*store);
    if (!datasets.is_ok()) return http::error_response(datasets.status());
    for (const DatasetInfo& d : *datasets) data.push_back(to_json(d));
  }
  if (!served) return http::error_response(not_found("this node does not serve region '" + *only + "'"));
  return http::Response::json(http::StatusCode::ok, boost::json::object{{"object", "list"}, {"data", std::move(data)}});
}

}  // namespace

Status register_dataset_routes(http::Server& server, Stores stores) {
  return server.route(http::Verb::get, "/v1/learning/datasets",
                      http::RouteOptions::for_roles({"operator", "dpo", "auditor", "admin"}),
                      [stores = std::move(stores)](const http::Request& r) { return list(stores, r); });
}

}  // namespace fleetgate::learning
