#include "fleetgate/http/error.h"

#include <boost/json/object.hpp>

namespace fleetgate::http {

StatusCode http_status_for(Code code) {
  switch (code) {
    case Code::kInvalidArgument: return StatusCode::bad_request;
    case Code::kUnauthenticated: return StatusCode::unauthorized;
    case Code::kPermissionDenied: return StatusCode::forbidden;
    case Code::kNotFound: return StatusCode::not_found;
    case Code::kAlreadyExists: return StatusCode::conflict;
    // The request is sound but the state it acts on does not allow it (re-exporting or
    // re-rejecting a transfer, closing a closed period): a conflict, not a server fault.
    case Code::kFailedPrecondition: return StatusCode::conflict;
    case Code::kAborted: return StatusCode::conflict;
    case Code::kResourceExhausted: return StatusCode::too_many_requests;
    case Code::kUnavailable: return StatusCode::service_unavailable;
    default: return StatusCode::internal_server_error;
  }
}

std::string_view error_type_for(StatusCode status) {
  switch (status) {
    case StatusCode::unauthorized: return "authentication_error";
    case StatusCode::forbidden: return "permission_error";
    case StatusCode::not_found: return "not_found_error";
    case StatusCode::conflict: return "conflict_error";
    case StatusCode::payload_too_large: return "request_too_large";
    case StatusCode::too_many_requests: return "rate_limit_error";
    case StatusCode::service_unavailable: return "service_unavailable";
    default: break;
  }
  return beast_http::to_status_class(status) == beast_http::status_class::server_error ? "server_error"
                                                                                        : "invalid_request_error";
}

Response error_response(StatusCode status, std::string_view message, std::string_view code) {
  boost::json::object error;
  error["message"] = message;
  error["type"] = error_type_for(status);
  error["code"] = code;
  boost::json::object body;
  body["error"] = std::move(error);
  return Response::json(status, body);
}

Response error_response(const Status& status) {
  return error_response(http_status_for(status.code()), status.message(), code_name(status.code()));
}

}  // namespace fleetgate::http
