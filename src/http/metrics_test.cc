#include "fleetgate/http/metrics.h"

#include "fleetgate/http/process_metrics.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <thread>
#include <vector>

namespace fleetgate::http {
namespace {

TEST(MetricsTest, RendersCountersWithHelpTypeAndLabels) {
  MetricsRegistry reg;
  CounterFamily* f = reg.counter("ingest_records_total", "Records stored.\nPer region.", {"region"}).value();
  f->with({"eu"}).inc();
  f->with({"eu"}).inc(2);
  f->with({"cn"}).inc();
  EXPECT_EQ(reg.render(),
            "# HELP ingest_records_total Records stored.\\nPer region.\n"
            "# TYPE ingest_records_total counter\n"
            "ingest_records_total{region=\"cn\"} 1\n"
            "ingest_records_total{region=\"eu\"} 3\n");
}

TEST(MetricsTest, UnlabelledMetricsAppearAtZero) {
  MetricsRegistry reg;
  ASSERT_TRUE(reg.gauge("breaker_open", "Open breakers.").is_ok());
  EXPECT_EQ(reg.render(), "# HELP breaker_open Open breakers.\n# TYPE breaker_open gauge\nbreaker_open 0\n");
}

TEST(MetricsTest, EscapesLabelValues) {
  MetricsRegistry reg;
  reg.gauge("g", "h", {"path"}).value()->with({"a\\b\"c\nd"}).set(-1.5);
  EXPECT_NE(reg.render().find("g{path=\"a\\\\b\\\"c\\nd\"} -1.5\n"), std::string::npos) << reg.render();
}

TEST(MetricsTest, HistogramBucketsAreCumulativeWithInf) {
  MetricsRegistry reg;
  HistogramFamily* f = reg.histogram("lat_seconds", "Latency.", {"route"}, {0.125, 1}).value();
  Histogram& h = f->with({"/x"});
  h.observe(0.0625);
  h.observe(0.125);  // le is inclusive
  h.observe(0.5);
  h.observe(7);
  EXPECT_EQ(reg.render(),
            "# HELP lat_seconds Latency.\n"
            "# TYPE lat_seconds histogram\n"
            "lat_seconds_bucket{route=\"/x\",le=\"0.125\"} 2\n"
            "lat_seconds_bucket{route=\"/x\",le=\"1\"} 3\n"
            "lat_seconds_bucket{route=\"/x\",le=\"+Inf\"} 4\n"
            "lat_seconds_sum{route=\"/x\"} 7.6875\n"
            "lat_seconds_count{route=\"/x\"} 4\n");
}

TEST(MetricsTest, FamiliesRenderSortedByName) {
  MetricsRegistry reg;
  ASSERT_TRUE(reg.counter("b_total", "b").is_ok());
  ASSERT_TRUE(reg.counter("a_total", "a").is_ok());
  const std::string text = reg.render();
  EXPECT_LT(text.find("a_total"), text.find("b_total"));
}

TEST(MetricsTest, ReRegisteringTheSameFamilyReturnsIt) {
  MetricsRegistry reg;
  CounterFamily* a = reg.counter("x_total", "x", {"k"}).value();
  CounterFamily* b = reg.counter("x_total", "x", {"k"}).value();
  EXPECT_EQ(a, b);
  EXPECT_EQ(reg.counter("x_total", "x", {"other"}).status().code(), Code::kAlreadyExists);
  EXPECT_EQ(reg.gauge("x_total", "x", {"k"}).status().code(), Code::kAlreadyExists);
}

TEST(MetricsTest, RejectsInvalidNames) {
  MetricsRegistry reg;
  EXPECT_EQ(reg.counter("1abc", "h").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(reg.counter("a-b", "h").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(reg.counter("__reserved", "h").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(reg.counter("ok", "h", {"bad:label"}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(reg.histogram("h", "h", {"le"}, {1}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(reg.histogram("h", "h", {}, {2, 1}).status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(reg.counter("ns:sub_total", "h").is_ok());
}

TEST(MetricsTest, ConcurrentUpdatesAreNotLost) {
  MetricsRegistry reg;
  CounterFamily* c = reg.counter("c_total", "c", {"t"}).value();
  HistogramFamily* h = reg.histogram("h_seconds", "h", {}, {0.5}).value();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10000; ++i) {
        c->with({t % 2 == 0 ? "even" : "odd"}).inc();
        h->with({}).observe(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c->with({"even"}).value(), 20000);
  EXPECT_EQ(c->with({"odd"}).value(), 20000);
  EXPECT_EQ(h->with({}).snapshot().count, 40000u);
  EXPECT_EQ(h->with({}).snapshot().sum, 40000);
}

TEST(MetricsTest, ScrapeTimeValuesAreReadBeforeEachRender) {
  MetricsRegistry r;
  auto g = r.gauge("queue_depth", "Items waiting");
  ASSERT_TRUE(g.is_ok());
  int depth = 3;
  r.on_scrape([&] { (*g)->with({}).set(depth); });
  EXPECT_NE(r.render().find("queue_depth 3\n"), std::string::npos);
  depth = 5;
  EXPECT_NE(r.render().find("queue_depth 5\n"), std::string::npos);
}

// The value of the unlabelled sample `name` in `text`, NaN when absent.
double sample(const std::string& text, const std::string& name) {
  const size_t at = text.find("\n" + name + " ");
  return at == std::string::npos ? std::nan("") : std::stod(text.substr(at + name.size() + 2));
}

TEST(MetricsTest, ProcessFiguresComeFromTheKernel) {
  MetricsRegistry r;
  ASSERT_TRUE(register_process_metrics(r, "1.2.3", "Release").is_ok());
  std::vector<char> touched(64 << 20, 1);  // 64 MB resident at least
  const std::string text = r.render();
  EXPECT_NE(text.find("fleetgate_build_info{version=\"1.2.3\",build_type=\"Release\"} 1\n"), std::string::npos) << text;
  EXPECT_GE(sample(text, "process_resident_memory_bytes"), 64.0 * (1 << 20)) << text;
  EXPECT_GE(sample(text, "process_virtual_memory_bytes"), sample(text, "process_resident_memory_bytes"));
  EXPECT_GE(sample(text, "process_open_fds"), 3) << "stdin, stdout, stderr";
  EXPECT_GE(sample(text, "process_max_fds"), sample(text, "process_open_fds"));
  EXPECT_GE(sample(text, "process_threads"), 1);
  const double now = static_cast<double>(std::chrono::duration_cast<std::chrono::seconds>(
                                             std::chrono::system_clock::now().time_since_epoch()).count());
  EXPECT_LE(sample(text, "process_start_time_seconds"), now + 1);
  EXPECT_GE(sample(text, "process_start_time_seconds"), now - 24 * 3600) << "started today";
  const double cpu = sample(text, "process_cpu_seconds_total");
  const auto busy_until = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
  volatile char sink = 0;
  while (std::chrono::steady_clock::now() < busy_until) {
    for (size_t i = 0; i < touched.size(); i += 4096) sink = static_cast<char>(sink + touched[i]);
  }
  EXPECT_GT(sample(r.render(), "process_cpu_seconds_total"), cpu) << "200 ms of CPU counted";
}

TEST(MetricsTest, FormatsSpecialValues) {
  EXPECT_EQ(format_metric_value(INFINITY), "+Inf");
  EXPECT_EQ(format_metric_value(-INFINITY), "-Inf");
  EXPECT_EQ(format_metric_value(NAN), "NaN");
  EXPECT_EQ(format_metric_value(0.25), "0.25");
  EXPECT_EQ(format_metric_value(1e21), "1e+21");
}

}  // namespace
}  // namespace fleetgate::http
