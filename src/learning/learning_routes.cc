#include "fleetgate/learning/learning_routes.h"

#include <boost/json.hpp>
#include <functional>

#include "fleetgate/http/error.h"
#include "fleetgate/learning/checkpoint.h"
#include "fleetgate/learning/dataset.h"
#include "fleetgate/learning/dataset_json.h"
#include "fleetgate/learning/model_json.h"

namespace fleetgate::learning {
namespace {

using Stores = std::vector<std::pair<std::string, const store::KvReader*>>;
// Appends what one region's store holds to the list.
using Lister = std::function<Status(const store::KvReader&, boost::json::array&)>;

http::Response list(const Stores& stores, const Lister& lister, const http::Request& req) {
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
    if (Status s = lister(*store, data); !s.is_ok()) return http::error_response(s);
  }
  if (!served) return http::error_response(not_found("this node does not serve region '" + *only + "'"));
  return http::Response::json(http::StatusCode::ok, boost::json::object{{"object", "list"}, {"data", std::move(data)}});
}

Status list_dataset_summaries(const store::KvReader& store, boost::json::array& out) {
  auto datasets = list_datasets(store);
  if (!datasets.is_ok()) return datasets.status();
  for (const DatasetInfo& d : *datasets) out.push_back(to_json(d));
  return Status::ok();
}

Status list_model_summaries(const store::KvReader& store, boost::json::array& out) {
  auto models = list_models(store);
  if (!models.is_ok()) return models.status();
  for (const StoredModel& m : *models) out.push_back(to_json(m));
  return Status::ok();
}

}  // namespace

Status register_learning_routes(http::Server& server, Stores stores) {
  const auto readers = http::RouteOptions::for_roles({"operator", "dpo", "auditor", "admin"});
  auto shared = std::make_shared<const Stores>(std::move(stores));
  for (const auto& [path, lister] : {std::pair<const char*, Lister>{"/v1/learning/datasets", list_dataset_summaries},
                                     std::pair<const char*, Lister>{"/v1/learning/models", list_model_summaries}}) {
    Status s = server.route(http::Verb::get, path, readers,
                            [shared, lister](const http::Request& r) { return list(*shared, lister, r); });
    if (!s.is_ok()) return s;
  }
  return Status::ok();
}

}  // namespace fleetgate::learning
