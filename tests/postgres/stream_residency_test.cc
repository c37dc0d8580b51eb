// Residency on disk in the distributed mode: regions cn and eu each have their telemetry on a
// JetStream cluster of their own and a query store in a PostgreSQL of their own, one node serves
// both, and cars of both stream through it. Then every file each region's servers wrote (the
// nats-server's config, log and store; PostgreSQL's data directory, WAL and log) is searched for
// the other region's cars and blocks: none may be there. The same search finds each region's own
// cars and blocks in its own files, so it can see what it looks for.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "fleetgate/privacy/keyring.h"
#include "fleetgate/privacy/pseudonymiser.h"
#include "fleetgate/query_store/query_store.h"
#include "fleetgate/store/pg_connection.h"
#include "fleetgate/store/test_dir.h"
#include "support/acked_log.h"
#include "support/fleetgate_process.h"
#include "support/nats_region.h"
#include "support/pg_server.h"
#include "support/scratch_config.h"

namespace fleetgate {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kRegions = {"cn", "eu"};
constexpr int kCarsPerRegion = 16;

// A byte string to look for, what it stands for, and whether its own region's files hold it.
struct Needle {
  enum class Own { kHeld, kMaybe, kNever };
  std::string bytes;  // at least 8 bytes
  std::string what;
  Own own;
};

// The needles of `needles` found in some file under `dir`, by index, with a file each was found in.
std::map<size_t, fs::path> find_in_files(const fs::path& dir, const std::vector<Needle>& needles) {
  std::unordered_map<uint64_t, std::vector<size_t>> by_prefix;  // first 8 bytes -> needles
  for (size_t i = 0; i < needles.size(); ++i) {
    uint64_t prefix = 0;
    std::memcpy(&prefix, needles[i].bytes.data(), sizeof prefix);
    by_prefix[prefix].push_back(i);
  }
  std::map<size_t, fs::path> found;
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;  // PostgreSQL's unix socket, its lock files' folders
    std::ifstream in(e.path(), std::ios::binary);
    const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (size_t at = 0; at + sizeof(uint64_t) <= data.size(); ++at) {
      uint64_t prefix = 0;
      std::memcpy(&prefix, data.data() + at, sizeof prefix);
      auto hit = by_prefix.find(prefix);
      if (hit == by_prefix.end()) continue;
      for (size_t i : hit->second) {
        if (data.compare(at, needles[i].bytes.size(), needles[i].bytes) == 0) found.emplace(i, e.path());
      }
    }
  }
  return found;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string unhex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  return out;
}

// Every form in which `region`'s car `vin` (its pseudonym under `keys`) could be written: the
// pseudonym as in a Msg-Id and a table row, its hex in either case, its 16 bytes, and the VIN.
std::vector<Needle> car_needles(const privacy::Pseudonymiser& keys, const std::string& region, const std::string& vin) {
  auto pseudonym = keys.pseudonym(vin);
  EXPECT_TRUE(pseudonym.is_ok()) << pseudonym.status().to_string();
  if (!pseudonym.is_ok()) return {};
  const std::string hex = pseudonym->substr(privacy::kPseudonymPrefix.size());
  const std::string what = region + " car " + vin;
  return {{hex, what + ": pseudonym " + *pseudonym, Needle::Own::kHeld},  // as in Msg-Ids and rows
          {upper(hex), what + ": pseudonym in upper case", Needle::Own::kMaybe},
          {unhex(hex), what + ": pseudonym's bytes", Needle::Own::kMaybe},
          {vin, what + ": VIN in clear", Needle::Own::kNever}};
}

// 32 bytes of each sealed block `region`'s query store holds (ciphertext: no other file holds
// them by chance), from its first kilobyte: a block PostgreSQL moves out of line (TOAST) is
// stored in chunks of about 2 KB, and 32 bytes across two chunks are not side by side on disk.
std::vector<Needle> block_needles(const std::string& dsn, const std::string& region) {
  auto store = query_store::QueryStore::open(dsn);
  EXPECT_TRUE(store.is_ok()) << store.status().to_string();
  if (!store.is_ok()) return {};
  auto blocks = (*store)->scan_all(std::nullopt, 100'000);
  EXPECT_TRUE(blocks.is_ok()) << blocks.status().to_string();
  if (!blocks.is_ok()) return {};
  std::vector<Needle> out;
  for (const query_store::BlockRow& b : *blocks) {
    if (b.block.size() < 64) continue;
    out.push_back({b.block.substr(std::min<size_t>(b.block.size() / 2, 1024), 32),
                   region + " block " + b.pseudonym + "/" + std::to_string(b.created_at_ms) + "/" + std::to_string(b.seq),
                   Needle::Own::kHeld});
  }
  return out;
}

// Writes every page of the database at `dsn` to its data files. Before that, a row may be only in
// the WAL, whose 8 KB pages split the records that cross them: a needle across a split is not
// side by side on disk.
void checkpoint(const std::string& dsn) {
  auto c = store::pg_connect(dsn);
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(*c, PQfinish);
  std::unique_ptr<PGresult, decltype(&PQclear)> r(PQexec(conn.get(), "CHECKPOINT"), PQclear);
  ASSERT_EQ(PQresultStatus(r.get()), PGRES_COMMAND_OK) << store::pg_error(conn.get());
}

// The VINs of a token file ("VIN TOKEN" per line).
std::vector<std::string> vins_of(const fs::path& tokens) {
  std::ifstream in(tokens);
  std::vector<std::string> out;
  std::string vin, token;
  while (in >> vin >> token) out.push_back(vin);
  return out;
}

// Sets NATS_NODES=1 while it lives: each region's cluster is one server (R1 streams).
struct OneServerClusters {
  OneServerClusters() { EXPECT_EQ(setenv("NATS_NODES", "1", 1), 0); }
  ~OneServerClusters() { unsetenv("NATS_NODES"); }
};

TEST(StreamResidency, EachRegionsCarsAndBlocksAreOnlyInItsOwnServersFiles) {
  std::map<std::string, std::unique_ptr<testing::NatsRegion>> nats;
  {
    OneServerClusters one;
    for (const std::string& r : kRegions) nats[r] = std::make_unique<testing::NatsRegion>(r);
  }
  std::map<std::string, std::unique_ptr<testing::PgServer>> pg;
  for (const std::string& r : kRegions) {
    pg[r] = std::make_unique<testing::PgServer>();
    ASSERT_FALSE(nats[r]->urls().empty());
    ASSERT_FALSE(pg[r]->dsn().empty());
    const std::string id = upper(r);
    ASSERT_EQ(setenv(("FLEETGATE_NATS_" + id).c_str(), nats[r]->urls().c_str(), 1), 0);
    ASSERT_EQ(setenv(("FLEETGATE_REGION_DSN_" + id).c_str(), pg[r]->dsn().c_str(), 1), 0);
  }

  store::TestDir dir;
  const fs::path config = testing::write_scratch_config(dir.path());
  {
    std::ifstream in(config);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(config, std::ios::trunc) << testing::with_region_tables(text, [](const std::string& id) -> std::string {
      if (id != "cn" && id != "eu") return "";
      return "[regions.telemetry]\nlog = \"jetstream\"\nack = \"persisted\"\nreplicas = 1\nshards = 2\n";
    });
  }
  auto cli = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"-c", config.string()});
    return testing::run_fleetgate(std::move(args));
  };
  const testing::CommandResult migrated = cli({"migrate"});
  ASSERT_EQ(migrated.code, 0) << migrated;
  std::map<std::string, std::vector<std::string>> vins;
  const fs::path all_tokens = dir / "cars.tokens";
  for (const std::string& r : kRegions) {
    const fs::path tokens = dir / (r + ".tokens");
    const testing::CommandResult fleet =
        cli({"sim", "fleet", "--vehicles", std::to_string(kCarsPerRegion), "--region", r, "--tokens", tokens.string(),
             "--first-serial", r == "cn" ? "1" : "1001"});
    ASSERT_EQ(fleet.code, 0) << fleet;
    vins[r] = vins_of(tokens);
    ASSERT_EQ(vins[r].size(), static_cast<size_t>(kCarsPerRegion));
    std::ifstream in(tokens);
    std::ofstream(all_tokens, std::ios::app) << in.rdbuf();
  }

  testing::Serve node = testing::start_serve(config, 0, dir / "serve.log");
  ASSERT_GT(node.port, 0);
  const fs::path acked = dir / "acked.txt";
  testing::FleetgateProcess sim = testing::spawn_fleetgate(
      {"sim", "run", "--tokens", all_tokens.string(), "--url", "ws://127.0.0.1:" + std::to_string(node.port) + "/v1/telemetry/ws",
       "--rate", "20", "--duration", "3", "--records-per-frame", "10", "--acked", acked.string()},
      dir / "sim.log");
  EXPECT_TRUE(testing::exited_zero(testing::wait_for(sim))) << "see " << dir / "sim.log";
  testing::stop_serve(node);
  const testing::AckedLog log = testing::read_acked_log(acked);
  for (const std::string& r : kRegions) {
    for (const std::string& vin : vins[r]) ASSERT_TRUE(log.seqs.contains(vin)) << vin << " of " << r << " has no acked record";
  }

  // What each region's files must hold (its own cars and blocks) and what no other's may.
  std::map<std::string, std::vector<Needle>> own_cars, own_blocks;
  for (const std::string& r : kRegions) {
    auto keys = privacy::RegionKeys::open(dir / "data" / r, r);
    ASSERT_TRUE(keys.is_ok()) << keys.status().to_string();
    const privacy::Pseudonymiser pseudonyms(*keys);
    for (const std::string& vin : vins[r]) {
      for (Needle& n : car_needles(pseudonyms, r, vin)) own_cars[r].push_back(std::move(n));
    }
    own_blocks[r] = block_needles(pg[r]->dsn(), r);
    ASSERT_FALSE(own_blocks[r].empty()) << r << "'s query store holds no block";
    ASSERT_NO_FATAL_FAILURE(checkpoint(pg[r]->dsn()));
  }
  for (const std::string& r : kRegions) {
    const std::string other = r == "cn" ? "eu" : "cn";
    std::vector<Needle> needles = own_cars[r];
    needles.insert(needles.end(), own_blocks[r].begin(), own_blocks[r].end());
    const size_t foreign_at = needles.size();  // the other region's from here: never in r's files
    needles.insert(needles.end(), own_cars[other].begin(), own_cars[other].end());
    needles.insert(needles.end(), own_blocks[other].begin(), own_blocks[other].end());
    needles.push_back({"TELEMETRY_" + upper(other) + "_", other + "'s stream name", Needle::Own::kNever});
    needles.push_back({"telemetry." + other + ".", other + "'s subject", Needle::Own::kNever});
    for (const auto& [server, server_dir] : {std::pair{"nats-server", nats[r]->dir()}, std::pair{"PostgreSQL", pg[r]->dir()}}) {
      const std::map<size_t, fs::path> found = find_in_files(server_dir, needles);
      for (size_t i = 0; i < needles.size(); ++i) {
        const Needle::Own expect = i < foreign_at ? needles[i].own : Needle::Own::kNever;
        if (expect == Needle::Own::kNever) {
          EXPECT_FALSE(found.contains(i)) << needles[i].what << " is in " << r << "'s " << server << " file " << found.at(i);
        } else if (expect == Needle::Own::kHeld) {  // the positive control
          EXPECT_TRUE(found.contains(i)) << needles[i].what << " is not found in " << r << "'s " << server << " files";
        }
      }
    }
  }
}

}  // namespace
}  // namespace fleetgate
