// A small Prometheus metrics registry shared by every module: counters, gauges and histograms,
// each in a family with fixed label names. Updates are lock-free atomics; looking up a labelled
// child takes a shared lock (an exclusive one only when the child is new), so hot paths should
// keep the returned reference. render() writes text exposition format 0.0.4.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "fleetgate/core/result.h"

namespace fleetgate::http {

class Counter {
 public:
  // REQUIRES: by >= 0 (counters only go up).
  void inc(double by = 1.0) { value_.fetch_add(by, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void inc(double by = 1.0) { value_.fetch_add(by, std::memory_order_relaxed); }
  void dec(double by = 1.0) { value_.fetch_sub(by, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Histogram {
 public:
  // `bounds` are the finite upper bounds, strictly increasing; +Inf is implicit.
  explicit Histogram(std::vector<double> bounds);
  void observe(double v);

  struct Snapshot {
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf (== count)
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot snapshot() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1, not cumulative
  std::atomic<double> sum_{0.0};
};

// Seconds: 1 ms .. 10 s, for request latencies.
std::vector<double> default_latency_buckets();

enum class MetricType { kCounter, kGauge, kHistogram };

// One metric name with its HELP text, label names and a child per distinct label values.
template <typename Metric>
class Family {
 public:
  Family(std::vector<std::string> label_names, std::function<std::unique_ptr<Metric>()> make)
      : label_names_(std::move(label_names)), make_(std::move(make)) {
    if (label_names_.empty()) with({});
  }

  // The child for these label values, created on first use. The reference stays valid for the
  // registry's lifetime. REQUIRES: values.size() == label_names().size() (aborts otherwise: a
  // programming error, like an out-of-range index).
  Metric& with(const std::vector<std::string>& values);

  const std::vector<std::string>& label_names() const { return label_names_; }
  // Calls fn(label values, metric) for every child in label order, under a shared lock.
  void for_each(const std::function<void(const std::vector<std::string>&, const Metric&)>& fn) const;

 private:
  std::vector<std::string> label_names_;
  std::function<std::unique_ptr<Metric>()> make_;
  mutable std::shared_mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>> children_;
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Registers a family, or returns the existing one when name, type, labels (and buckets) agree.
  // invalid_argument when the name or a label name is not a valid Prometheus identifier (or a
  // histogram uses the label "le", or its buckets are not strictly increasing); already_exists
  // when the name is registered with a different type, labels or buckets.
  Result<CounterFamily*> counter(const std::string& name, const std::string& help,
                                 std::vector<std::string> label_names = {});
  Result<GaugeFamily*> gauge(const std::string& name, const std::string& help,
                             std::vector<std::string> label_names = {});
  Result<HistogramFamily*> histogram(const std::string& name, const std::string& help,
                                     std::vector<std::string> label_names, std::vector<double> buckets);

  // Runs `refresh` at the start of every render(), before any family is written: it sets gauges
  // whose value is read when scraped (process statistics, what a store counts). Runs on the
  // scraping thread; may block briefly (it delays only the scrape).
  void on_scrape(std::function<void()> refresh);

  // Every family sorted by name, in Prometheus text format (Content-Type text/plain; version=0.0.4).
  std::string render() const;

 private:
  struct Entry;
  Result<Entry*> add(const std::string& name, const std::string& help, MetricType type,
                     const std::vector<std::string>& label_names, const std::vector<double>& buckets);

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Entry>> entries_;
  mutable std::mutex refresh_mu_;  // held through the refreshes: one scrape refreshes at a time
  std::vector<std::function<void()>> refreshes_;
};

// Text exposition helpers, exposed for tests and for modules that render their own samples.
// Label values: backslash, double quote and newline escaped. HELP: backslash and newline.
std::string escape_label_value(std::string_view value);
std::string escape_help(std::string_view help);
// Shortest round-trip decimal; "+Inf", "-Inf", "NaN" for the special values.
std::string format_metric_value(double v);

}  // namespace fleetgate::http

namespace fleetgate::http {
extern template class Family<Counter>;
extern template class Family<Gauge>;
extern template class Family<Histogram>;
}  // namespace fleetgate::http
