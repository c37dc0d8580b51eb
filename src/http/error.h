// JSON error bodies in the OpenAI shape, {"error":{"message":..,"type":..,"code":..}}, and the
// one mapping from a fleetgate Status code to an HTTP status.
#pragma once

#include <string_view>

#include "fleetgate/core/result.h"
#include "fleetgate/http/message.h"

namespace fleetgate::http {

// invalid_argument 400, unauthenticated 401, permission_denied 403, not_found 404,
// already_exists and failed_precondition (a state conflict) 409, resource_exhausted 429,
// unavailable 503, anything else (data_loss, internal) 500.
StatusCode http_status_for(Code code);

// The OpenAI error "type" for an HTTP status: "invalid_request_error" (4xx not listed below),
// "authentication_error" (401), "permission_error" (403), "not_found_error" (404),
// "conflict_error" (409), "request_too_large" (413), "rate_limit_error" (429),
// "service_unavailable" (503), "server_error" (other 5xx).
std::string_view error_type_for(StatusCode status);

// An application/json error response; `code` is a short machine-readable reason.
Response error_response(StatusCode status, std::string_view message, std::string_view code);

// Maps the Status code to the HTTP status; code is code_name(status.code()).
// REQUIRES: !status.is_ok().
Response error_response(const Status& status);

}  // namespace fleetgate::http
