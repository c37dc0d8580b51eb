#include "support/test_backend.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <mutex>
#include <vector>

#include "fleetgate/query_store/block_table_reader.h"
#include "fleetgate/query_store/query_store.h"
#include "fleetgate/query_store/region_objects.h"
#include "fleetgate/query_store/region_schema.h"
#include "fleetgate/store/data_dir.h"
#include "fleetgate/store/embedded_store.h"
#include "fleetgate/store/pg_connection.h"
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

  // A new database on the server of `state`, migrated by `migrate`; the name of the environment
  // variable (`prefix` and a number) that holds its DSN, empty after a reported failure.
  std::string create(const char* state, const std::function<Result<int>(const std::string& dsn)>& migrate,
                     const std::string& prefix) {
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
    if (auto migrated = migrate(dsn); !migrated.is_ok()) {
      ADD_FAILURE() << "migrating " << name << ": " << migrated.status().to_string();
      return "";
    }
    const std::string variable = prefix + std::to_string(names_.size());
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

// The one-server JetStream clusters this process started (tools/nats-region.sh with
// NATS_NODES=1), killed and removed at exit.
class Clusters {
 public:
  ~Clusters() {
    for (const std::string& dir : dirs_) {
      if (std::system((script() + " kill " + dir + " 0 >/dev/null 2>&1").c_str()) != 0) {
        std::fprintf(stderr, "test_backend: killing the cluster in %s failed\n", dir.c_str());
      }
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    }
  }

  // Starts `region`'s cluster; the name of the environment variable holding its URL, empty after
  // a reported failure.
  std::string start(const std::string& region) {
    std::lock_guard lock(mu_);
    char name[] = "/tmp/fleetgate-suite-nats-XXXXXX";
    if (mkdtemp(name) == nullptr) {
      ADD_FAILURE() << "mkdtemp failed";
      return "";
    }
    dirs_.push_back(name);
    FILE* p = popen(("NATS_NODES=1 " + script() + " start " + dirs_.back() + " " + region).c_str(), "r");
    std::string urls;
    char buf[512];
    while (p != nullptr && std::fgets(buf, sizeof buf, p) != nullptr) urls += buf;
    const int rc = p == nullptr ? -1 : pclose(p);
    while (!urls.empty() && urls.back() == '\n') urls.pop_back();
    if (rc != 0 || urls.empty()) {
      ADD_FAILURE() << "tools/nats-region.sh start failed (" << rc << "); see " << dirs_.back() << "/0/nats.log";
      return "";
    }
    const std::string variable = "FG_TEST_NATS_" + std::to_string(dirs_.size());
    setenv(variable.c_str(), urls.c_str(), 1);
    return variable;
  }

 private:
  static std::string script() { return FLEETGATE_SOURCE_DIR "/tools/nats-region.sh"; }
  std::mutex mu_;
  std::vector<std::string> dirs_;
};

// Config file -> the DSN of the database use_suite_backend() gave it.
std::mutex configs_mu;
std::map<std::filesystem::path, std::string> config_dsns;

}  // namespace

std::string with_region_tables(const std::string& text, const std::function<std::string(const std::string&)>& table) {
  std::string out, id;
  bool in_region = false;
  auto close_region = [&] {
    if (in_region) out += table(id);
    in_region = false;
    id.clear();
  };
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    end = end == std::string::npos ? text.size() : end + 1;
    const std::string line = text.substr(at, end - at);
    at = end;
    if (line.starts_with("[")) {
      close_region();
      in_region = line.starts_with("[[regions]]");
    } else if (in_region && line.starts_with("id = \"")) {
      id = line.substr(6, line.find('"', 6) - 6);
    }
    out += line;
    if (!line.ends_with('\n')) out += '\n';
  }
  close_region();
  return out;
}

bool suite_on_postgres() { return suite_state() != nullptr; }

void use_suite_backend(const std::filesystem::path& path) {
  const char* state = suite_state();
  if (state == nullptr) return;
  std::ifstream in(path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.find("[control]") != std::string::npos) return;  // a restart on the same config, or its own
  static Databases databases;
  static Clusters clusters;
  // Each region's telemetry on its own JetStream cluster and query-store database. Nothing is
  // shared between configs, so tests running at once never see each other's streams.
  const std::string streamed = with_region_tables(text, [&](const std::string& id) {
    const std::string nats = clusters.start(id);
    const std::string dsn = databases.create(state, query_store::migrate_region_pg, "FG_TEST_REGION_DSN_");
    return "[regions.telemetry]\nlog = \"jetstream\"\nreplicas = 1\nshards = 2\nnats_env = \"" +
           (nats.empty() ? "FG_TEST_NATS_FAILED" : nats) + "\"\ndsn_env = \"" +
           (dsn.empty() ? "FG_TEST_REGION_DSN_FAILED" : dsn) + "\"\n";
  });
  std::ofstream(path, std::ios::trunc) << streamed;
  const std::string variable = databases.create(state, store::migrate_pg, "FG_TEST_CONTROL_DSN_");
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

namespace {

// The query store's blocks with the connection they are read through.
class QueryStoreRecords final : public store::KvReader {
 public:
  explicit QueryStoreRecords(std::unique_ptr<query_store::QueryStore> store) : store_(std::move(store)), reader_(*store_) {}
  Result<std::string> get(std::string_view key) const override { return reader_.get(key); }
  std::unique_ptr<store::KvIterator> scan(std::string_view prefix, std::string_view start = {}) const override {
    return reader_.scan(prefix, start);
  }

 private:
  std::unique_ptr<query_store::QueryStore> store_;
  query_store::BlockTableReader reader_;
};

}  // namespace

Result<std::unique_ptr<store::KvReader>> region_records(const config::Region& region, const store::KvStore& embedded) {
  if (region.telemetry.log == config::RegionTelemetrySettings::Log::kEmbedded) return embedded.snapshot();
  auto dsn = store::dsn_from_env(region.telemetry.dsn_env, "regions." + region.id + ".telemetry.dsn_env");
  if (!dsn.is_ok()) return dsn.status();
  auto store = query_store::QueryStore::open(*dsn);
  if (!store.is_ok()) return store.status();
  return std::unique_ptr<store::KvReader>(std::make_unique<QueryStoreRecords>(std::move(store).value()));
}

Result<std::unique_ptr<store::KvStore>> open_region_store(const config::Config& cfg, const config::Region& region) {
  return store::open_region_store(cfg, region, {}, [](const config::Region& r) -> Result<std::unique_ptr<store::KvStore>> {
    auto dsn = store::dsn_from_env(r.telemetry.dsn_env, "regions." + r.id + ".telemetry.dsn_env");
    if (!dsn.is_ok()) return dsn.status();
    return query_store::open_region_objects(*dsn);
  });
}

Result<std::shared_ptr<privacy::VehicleKeys>> open_vehicle_keys(const config::Region& region,
                                                                std::shared_ptr<const privacy::RegionKeys> keys) {
  if (region.telemetry.log == config::RegionTelemetrySettings::Log::kEmbedded) {
    return privacy::VehicleKeys::open_embedded(region.data_dir, std::move(keys));
  }
  auto dsn = store::dsn_from_env(region.telemetry.dsn_env, "regions." + region.id + ".telemetry.dsn_env");
  if (!dsn.is_ok()) return dsn.status();
  auto table = store::open_pg_table(*dsn, "vehicle_keys", query_store::check_region_schema);
  if (!table.is_ok()) return table.status();
  return std::make_shared<privacy::VehicleKeys>(std::move(keys), std::move(table).value());
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
