#include "fleetgate/http/json_body.h"

#include "fleetgate/core/json_text.h"

namespace fleetgate::http {

Result<boost::json::object> json_object_body(const Request& request) {
  std::error_code ec;
  boost::json::value body = parse_json(request.body(), ec);
  if (ec || !body.is_object()) return invalid_argument("request body must be a JSON object");
  return std::move(body.as_object());
}

}  // namespace fleetgate::http
