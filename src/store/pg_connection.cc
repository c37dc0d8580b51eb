#include "fleetgate/store/pg_connection.h"

#include <poll.h>

#include <cstdlib>
#include <vector>

namespace fleetgate::store {

Result<std::string> dsn_from_env(const std::string& variable, const std::string& setting) {
  const char* dsn = std::getenv(variable.c_str());
  if (dsn == nullptr || *dsn == '\0') {
    return failed_precondition(setting + " reads its connection string from $" + variable + ", which is not set");
  }
  return std::string(dsn);
}

std::string pg_error(const PGconn* c) {
  std::string message = PQerrorMessage(c);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return message;
}

Result<PGconn*> pg_connect(const std::string& dsn, std::optional<int> connect_timeout_s) {
  const std::string timeout = std::to_string(connect_timeout_s.value_or(5));
  // libpq takes the last value of a repeated keyword, and expands "dbname" into the DSN's own
  // settings where it stands: defaults before it, a forced timeout after it.
  std::vector<const char*> keys = {"connect_timeout",  "keepalives",       "keepalives_idle", "keepalives_interval",
                                   "keepalives_count", "tcp_user_timeout", "dbname"};
  std::vector<const char*> values = {timeout.c_str(), "1", "10", "5", "3", "15000", dsn.c_str()};
  if (connect_timeout_s) {
    keys.push_back("connect_timeout");
    values.push_back(timeout.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* c = PQconnectdbParams(keys.data(), values.data(), 1);
  if (PQstatus(c) != CONNECTION_OK) {
    Status s = unavailable("postgres: cannot connect: " + pg_error(c));
    PQfinish(c);
    return s;
  }
  return c;
}

bool pg_session_ended(PGconn* c) {
  pollfd p{PQsocket(c), POLLIN, 0};
  return PQstatus(c) != CONNECTION_OK || poll(&p, 1, 0) != 0;
}

}  // namespace fleetgate::store
