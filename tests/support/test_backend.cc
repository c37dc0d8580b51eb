#include "support/test_backend.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <vector>

#include "fleetgate/store/embedded_store.h"
#include "fleetgate/store/pg_store.h"

namespace fleetgate::testing {
namespace {

const char* suite_state() {
  const char* state = std::getenv("FLEETGATE_TEST_PG_SUITE");
  return state != nullptr && *state != '\0' ? state : nullptr;
}

// Runs one statement on the suite server's maintenance database; the error text, empty on success.
std::string execute(const std::string& server_dsn, const std::string& sql) {
  PGconn* conn = PQconnectdb(server_dsn.c_str());
  std::string error;
  if (PQstatus(conn) != CONNECTION_OK) {
    error = PQerrorMessage(conn);
  } else {
    PGresult* r = PQexec(conn, sql.c_str());
    if (PQresultStatus(r) != PGRES_COMMAND_OK) error = PQresultErrorMessage(r);
    PQclear(r);
  }
  PQfinish(conn);
  return error;
}

// The databases this process made; dropped at exit, after every test's services have stopped.
class Databases {
 public:
  ~Databases() {
    for (const std::string& name : names_) {
      const std::string error = execute(server_dsn_, "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
      if (!error.empty()) std::fprintf(stderr, "test_backend: dropping %s: %s", name.c_str(), error.c_str());
    }
  }

  // A new migrated database on the server of `state`; the name of the environment variable that
  // holds its DSN, empty after a reported failure.
  std::string create(const char* state) {
    std::lock_guard lock(mu_);
    if (server_dsn_.empty()) {
      std::ifstream in(state);
      std::string folder;
      std::getline(in, folder);
      std::getline(in, server_dsn_);
      if (server_dsn_.empty()) {
        ADD_FAILURE() << "no PostgreSQL DSN in " << state << " (did the pg_suite_start fixture run?)";
        return "";
      }
    }
    const std::string name = "fgtest_" + std::to_string(getpid()) + "_" + std::to_string(names_.size());
    if (const std::string error = execute(server_dsn_, "CREATE DATABASE " + name); !error.empty()) {
      ADD_FAILURE() << "CREATE DATABASE " << name << ": " << error;
      return "";
    }
    names_.push_back(name);
    const std::string dsn = server_dsn_ + " dbname=" + name;  // libpq: the last dbname wins
    if (auto migrated = store::migrate_pg(dsn); !migrated.is_ok()) {
      ADD_FAILURE() << "migrating " << name << ": " << migrated.status().to_string();
      return "";
    }
    const std::string variable = "FG_TEST_CONTROL_DSN_" + std::to_string(names_.size());
    setenv(variable.c_str(), dsn.c_str(), 1);
    // A directory in a shared database needs a key every node holds (README "Fleet registry").
    setenv("FLEETGATE_DIRECTORY_KEY", std::string(64, '5').c_str(), 0);
    return variable;
  }

 private:
  std::mutex mu_;
  std::string server_dsn_;
  std::vector<std::string> names_;
};

// Config file -> the DSN of the database use_suite_backend() gave it.
std::mutex configs_mu;
std::map<std::filesystem::path, std::string> config_dsns;

}  // namespace

bool suite_on_postgres() { return suite_state() != nullptr; }

void use_suite_backend(const std::filesystem::path& path) {
  const char* state = suite_state();
  if (state == nullptr) return;
  std::ifstream in(path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.find("[control]") != std::string::npos) return;  // a restart on the same config, or its own
  static Databases databases;
  const std::string variable = databases.create(state);
  // Without a database (a failure already reported) the table names an unset variable, so the
  // service refuses to start: a test never silently falls back to the embedded backend.
  std::ofstream out(path, std::ios::app);
  out << "\n[control]\nbackend = \"postgres\"\ndsn_env = \""
      << (variable.empty() ? "FG_TEST_CONTROL_DSN_FAILED" : variable) << "\"\n";
  if (!out) ADD_FAILURE() << "cannot append the [control] table to " << path;
  if (variable.empty()) return;
  std::lock_guard lock(configs_mu);
  config_dsns[std::filesystem::absolute(path)] = std::getenv(variable.c_str());
}

Result<std::unique_ptr<store::KvStore>> open_control_store(const std::filesystem::path& config,
                                                           const std::filesystem::path& data_dir) {
  {
    std::lock_guard lock(configs_mu);
    if (auto it = config_dsns.find(std::filesystem::absolute(config)); it != config_dsns.end()) {
      return store::open_pg(it->second);
    }
  }
  return store::open_embedded(data_dir / "control");
}

}  // namespace fleetgate::testing
