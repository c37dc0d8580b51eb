#include "fleetgate/http/error.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace fleetgate::http {
namespace {

TEST(ErrorTest, MapsStatusCodesToHttp) {
  EXPECT_EQ(http_status_for(Code::kInvalidArgument), StatusCode::bad_request);
  EXPECT_EQ(http_status_for(Code::kUnauthenticated), StatusCode::unauthorized);
  EXPECT_EQ(http_status_for(Code::kPermissionDenied), StatusCode::forbidden);
  EXPECT_EQ(http_status_for(Code::kNotFound), StatusCode::not_found);
  EXPECT_EQ(http_status_for(Code::kAlreadyExists), StatusCode::conflict);
  EXPECT_EQ(http_status_for(Code::kResourceExhausted), StatusCode::too_many_requests);
  EXPECT_EQ(http_status_for(Code::kUnavailable), StatusCode::service_unavailable);
  EXPECT_EQ(http_status_for(Code::kFailedPrecondition), StatusCode::conflict) << "a state conflict is not a server fault";
  EXPECT_EQ(http_status_for(Code::kDataLoss), StatusCode::internal_server_error);
  EXPECT_EQ(http_status_for(Code::kInternal), StatusCode::internal_server_error);
}

TEST(ErrorTest, BuildsOpenAiShapedBodyFromStatus) {
  Response r = error_response(Status(Code::kPermissionDenied, "data may not leave \"eu\""));
  EXPECT_EQ(r.status, StatusCode::forbidden);
  EXPECT_EQ(r.content_type, "application/json");
  boost::json::value v = boost::json::parse(r.body);
  const auto& e = v.at("error");
  EXPECT_EQ(e.at("message").as_string(), "data may not leave \"eu\"");
  EXPECT_EQ(e.at("type").as_string(), "permission_error");
  EXPECT_EQ(e.at("code").as_string(), "permission_denied");
  EXPECT_EQ(v.as_object().size(), 1u);
}

TEST(ErrorTest, TypesFollowTheStatusClass) {
  EXPECT_EQ(error_type_for(StatusCode::bad_request), "invalid_request_error");
  EXPECT_EQ(error_type_for(StatusCode::method_not_allowed), "invalid_request_error");
  EXPECT_EQ(error_type_for(StatusCode::too_many_requests), "rate_limit_error");
  EXPECT_EQ(error_type_for(StatusCode::bad_gateway), "server_error");
}

}  // namespace
}  // namespace fleetgate::http
