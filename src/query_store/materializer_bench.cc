// Materializer throughput (run by bench/scenarios/materializer.sh): BLOCKS sealed blocks of
// RECORDS records each (the real codec, 64 vehicles) published into a region's streams, then
// materialized into the query store by one materializer per shard, timed from start until every
// block is committed and acked; beside it, the same blocks by raw binary COPY into a bare table
// (no index, no partitions, no stream, no decoding), the ceiling on this PostgreSQL.
//   materializer_bench URLS DSN OUT.json [BLOCKS] [RECORDS] [SHARDS] [BATCH]
#include <atomic>
#include <boost/json.hpp>
#include <cmath>
#include <condition_variable>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

#include "fleetgate/core/bench_program.h"
#include "fleetgate/privacy/test_keys.h"
#include "fleetgate/query_store/copy_rows.h"
#include "fleetgate/query_store/materializer.h"
#include "fleetgate/query_store/region_schema.h"
#include "fleetgate/store/pg_connection.h"
#include "fleetgate/store/pg_exec.h"
#include "fleetgate/stream/block_publisher.h"
#include "fleetgate/stream/stream_setup.h"
#include "fleetgate/telemetry/store_key.h"
#include "fleetgate/telemetry/test_records.h"

namespace fleetgate::query_store {
namespace {

using Clock = std::chrono::steady_clock;

using bench::die;
using bench::int_arg;

// `count` blocks of `records` records each, round robin over 64 vehicles, a minute apart per vehicle.
std::vector<BlockRow> sealed_blocks(const telemetry::RecordCodec& codec, int count, int records) {
  std::vector<BlockRow> out;
  for (int b = 0; b < count; ++b) {
    std::string vin = "WVWZZZ1JZXW0000" + std::to_string(10 + b % 64);
    std::vector<telemetry::Record> batch;
    for (int i = 0; i < records; ++i) {
      telemetry::Record r = telemetry::sample_record();
      r.vin = vin;
      r.created_at_ms = telemetry::kNow + int64_t{60'000} * (b / 64) + i * (50'000 / records);
      r.seq = static_cast<uint64_t>(b / 64) * static_cast<uint64_t>(records) + static_cast<uint64_t>(i);
      r.data.at(0).value = static_cast<double>(i);
      batch.push_back(std::move(r));
    }
    std::vector<telemetry::StoredForm> forms;
    if (Status s = codec.encode(batch, *codec.pseudonym(vin), forms); !s.is_ok()) die(s.to_string());
    if (forms.size() != 1) die("a batch sealed into more than one block");
    auto key = telemetry::decode_store_key(forms[0].key);
    out.push_back({key->pseudonym, key->created_at_ms, key->seq, std::move(forms[0].value)});
  }
  return out;
}

void publish_all(stream::ClusterConnection& cluster, const stream::StreamLayout& layout, const std::vector<BlockRow>& blocks) {
  auto publisher = stream::BlockPublisher::create(cluster, layout);
  if (!publisher) die(publisher.status().to_string());
  std::mutex mu;
  std::condition_variable completed;
  size_t done = 0, failed = 0;
  for (size_t i = 0; i < blocks.size();) {
    const BlockRow& b = blocks[i];
    Status s = (*publisher)->publish({b.pseudonym, b.created_at_ms, b.seq}, b.block, [&](Result<stream::PublishAck> r) {
      std::lock_guard lock(mu);
      ++done;
      if (!r.is_ok()) ++failed;
      completed.notify_one();
    });
    if (s.is_ok()) {
      ++i;
    } else if (s.code() == Code::kResourceExhausted) {
      std::unique_lock lock(mu);
      completed.wait_for(lock, std::chrono::milliseconds(10));
    } else {
      die(s.to_string());
    }
  }
  std::unique_lock lock(mu);
  completed.wait(lock, [&] { return done == blocks.size(); });
  if (failed > 0) die(std::to_string(failed) + " blocks not acked");
}

// Seconds to materialize `expected` blocks with one materializer per shard.
double materialize(stream::ClusterConnection& cluster, const stream::StreamLayout& layout, const std::string& dsn,
                   const telemetry::RecordCodec& codec, size_t expected, int batch, uint64_t& max_lag, uint64_t& records) {
  std::vector<std::unique_ptr<stream::BlockReader>> readers;
  std::vector<std::unique_ptr<QueryStore>> stores;
  std::vector<std::unique_ptr<Materializer>> materializers;
  for (int shard = 0; shard < layout.shards; ++shard) {
    auto r = stream::BlockReader::open(cluster, layout, shard, "bench");
    auto s = QueryStore::open(dsn);
    if (!r) die(r.status().to_string());
    if (!s) die(s.status().to_string());
    readers.push_back(std::move(r).value());
    stores.push_back(std::move(s).value());
    materializers.push_back(std::make_unique<Materializer>(*readers.back(), *stores.back(), codec,
                                                           MaterializerOptions{batch, std::chrono::milliseconds(200)}));
  }
  std::atomic<bool> stop{false};
  const Clock::time_point start = Clock::now();
  std::vector<std::thread> threads;
  for (auto& m : materializers) {
    // A failing round (logged) would distort the figures: the run ends there.
    threads.emplace_back([&stop, m = m.get()] {
      m->run(stop, [](bool failing) {
        if (failing) die("a materializer round failed");
      });
    });
  }
  auto total = [&] {
    uint64_t n = 0;
    for (auto& m : materializers) n += m->stats().blocks;
    return n;
  };
  while (total() < expected) {
    for (auto& m : materializers) max_lag = std::max<uint64_t>(max_lag, m->stats().lag);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  stop = true;
  for (std::thread& t : threads) t.join();
  for (auto& m : materializers) records += m->stats().records;
  return seconds;
}

// Seconds to COPY the blocks into a bare table, `batch` blocks per COPY (each its own commit).
double raw_copy(const std::string& dsn, const std::vector<BlockRow>& blocks, int batch) {
  auto c = store::pg_connect(dsn);
  if (!c) die(c.status().to_string());
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(*c, PQfinish);
  if (auto r = store::run(conn.get(), "CREATE TABLE raw_copy (pseudonym text, created_at bigint, seq bigint, block bytea)"); !r) {
    die(r.status().to_string());
  }
  const Clock::time_point start = Clock::now();
  for (size_t at = 0; at < blocks.size(); at += static_cast<size_t>(batch)) {
    CopyRows rows;
    for (size_t i = at; i < std::min(blocks.size(), at + static_cast<size_t>(batch)); ++i) {
      const BlockRow& b = blocks[i];
      rows.row(4).bytes(b.pseudonym).int8(b.created_at_ms).int8(static_cast<int64_t>(b.seq)).bytes(b.block);
    }
    if (Status s = store::copy_in(conn.get(), "COPY raw_copy FROM STDIN WITH (FORMAT binary)", std::move(rows).finish()); !s.is_ok()) {
      die(s.to_string());
    }
  }
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int run(int argc, char** argv) {
  if (argc < 4) die("usage: materializer_bench URLS DSN OUT.json [BLOCKS] [RECORDS] [SHARDS] [BATCH]");
  const std::string dsn = argv[2];
  const int count = int_arg(argc, argv, 4, 20000);
  const int records = int_arg(argc, argv, 5, 50);
  const int batch = int_arg(argc, argv, 7, 256);
  if (count <= 0 || records <= 0 || records > 1000 || batch <= 0) die("BLOCKS, RECORDS (1-1000) and BATCH must be positive");
  stream::StreamLayout layout;
  layout.region = "bench";
  layout.shards = int_arg(argc, argv, 6, 4);
  layout.max_age = std::chrono::hours(1);
  layout.max_bytes = int64_t{2} << 30;

  const telemetry::RecordCodec codec(privacy::fixed_keys("bench", 7));
  const std::vector<BlockRow> blocks = sealed_blocks(codec, count, records);
  size_t bytes = 0;
  for (const BlockRow& b : blocks) bytes += b.block.size();

  auto urls = stream::parse_urls(argv[1]);
  if (!urls) die(urls.status().to_string());
  auto cluster = stream::ClusterConnection::connect({.region = "bench", .urls = *urls});
  if (!cluster) die(cluster.status().to_string());
  if (Status s = stream::ensure_telemetry_streams(**cluster, layout); !s.is_ok()) die(s.to_string());
  if (auto v = migrate_region_pg(dsn); !v) die(v.status().to_string());

  const double copy_s = raw_copy(dsn, blocks, batch);
  publish_all(**cluster, layout, blocks);
  uint64_t max_lag = 0, materialized_records = 0;
  const double mat_s = materialize(**cluster, layout, dsn, codec, blocks.size(), batch, max_lag, materialized_records);

  auto per_s = [](double n, double s) { return std::llround(n / s); };
  const double n = static_cast<double>(blocks.size());
  boost::json::object out{
      {"scenario", "materializer: JetStream R3 durable pull consumers -> region PostgreSQL query store, vs raw COPY"},
      {"blocks", blocks.size()},
      {"records_per_block", records},
      {"mean_block_bytes", std::llround(static_cast<double>(bytes) / n)},
      {"shards", layout.shards},
      {"batch", batch},
      {"materializer_blocks_per_second", per_s(n, mat_s)},
      {"materializer_records_per_second", per_s(static_cast<double>(materialized_records), mat_s)},
      {"materializer_max_lag_blocks", max_lag},
      {"raw_copy_blocks_per_second", per_s(n, copy_s)},
      {"raw_copy_records_per_second", per_s(n * records, copy_s)},
  };
  std::ofstream(argv[3]) << boost::json::serialize(out) << "\n";
  std::cout << boost::json::serialize(out) << "\n";
  return 0;
}

}  // namespace
}  // namespace fleetgate::query_store

int main(int argc, char** argv) { return fleetgate::query_store::run(argc, argv); }
