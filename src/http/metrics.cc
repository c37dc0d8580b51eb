#include "fleetgate/http/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <variant>

namespace fleetgate::http {

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double v) {
  const size_t i = std::isnan(v) ? bounds_.size()
                                 : static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) -
                                                       bounds_.begin());
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.cumulative.reserve(bounds_.size() + 1);
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    s.count += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(s.count);
  }
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

std::vector<double> default_latency_buckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

template <typename Metric>
Metric& Family<Metric>::with(const std::vector<std::string>& values) {
  if (values.size() != label_names_.size()) {
    std::fprintf(stderr, "fleetgate: metric family with %zu labels given %zu values\n", label_names_.size(),
                 values.size());
    std::abort();
  }
  {
    std::shared_lock lock(mu_);
    const auto it = children_.find(values);
    if (it != children_.end()) return *it->second;
  }
  std::unique_lock lock(mu_);
  auto& slot = children_[values];
  if (!slot) slot = make_();
  return *slot;
}

template <typename Metric>
void Family<Metric>::for_each(
    const std::function<void(const std::vector<std::string>&, const Metric&)>& fn) const {
  std::shared_lock lock(mu_);
  for (const auto& [values, metric] : children_) fn(values, *metric);
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
  return out;
}

std::string escape_help(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
  return out;
}

std::string format_metric_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

namespace {

bool valid_name(std::string_view name, bool allow_colon) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':') ||
                    (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return !name.starts_with("__");
}

const char* type_name(MetricType t) {
  switch (t) {
    case MetricType::kCounter: return "counter";
    case MetricType::kGauge: return "gauge";
    case MetricType::kHistogram: return "histogram";
  }
  return "untyped";
}

// `{a="x",b="y"}` (with an optional trailing label such as le), or "" when there are none.
std::string label_set(const std::vector<std::string>& names, const std::vector<std::string>& values,
                      std::string_view extra_name = {}, std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return {};
  std::string out = "{";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ',';
    out += names[i] + "=\"" + escape_label_value(values[i]) + "\"";
  }
  if (!extra_name.empty()) {
    if (!names.empty()) out += ',';
    out += std::string(extra_name) + "=\"" + escape_label_value(extra_value) + "\"";
  }
  return out + "}";
}

}  // namespace

struct MetricsRegistry::Entry {
  std::string help;
  MetricType type;
  std::vector<std::string> label_names;
  std::vector<double> buckets;
  std::variant<std::unique_ptr<CounterFamily>, std::unique_ptr<GaugeFamily>, std::unique_ptr<HistogramFamily>> family;

  void render(const std::string& name, std::string& out) const {
    out += "# HELP " + name + " " + escape_help(help) + "\n";
    out += "# TYPE " + name + " " + type_name(type) + "\n";
    auto scalar = [&](const std::vector<std::string>& values, double v) {
      out += name + label_set(label_names, values) + " " + format_metric_value(v) + "\n";
    };
    switch (type) {
      case MetricType::kCounter:
        std::get<0>(family)->for_each([&](const auto& values, const Counter& c) { scalar(values, c.value()); });
        break;
      case MetricType::kGauge:
        std::get<1>(family)->for_each([&](const auto& values, const Gauge& g) { scalar(values, g.value()); });
        break;
      case MetricType::kHistogram:
        std::get<2>(family)->for_each([&](const auto& values, const Histogram& h) {
          const Histogram::Snapshot s = h.snapshot();
          for (size_t i = 0; i < s.cumulative.size(); ++i) {
            const double le = i < buckets.size() ? buckets[i] : INFINITY;
            out += name + "_bucket" + label_set(label_names, values, "le", format_metric_value(le)) + " " +
                   std::to_string(s.cumulative[i]) + "\n";
          }
          out += name + "_sum" + label_set(label_names, values) + " " + format_metric_value(s.sum) + "\n";
          out += name + "_count" + label_set(label_names, values) + " " + std::to_string(s.count) + "\n";
        });
        break;
    }
  }
};

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

Result<MetricsRegistry::Entry*> MetricsRegistry::add(const std::string& name, const std::string& help,
                                                      MetricType type, const std::vector<std::string>& label_names,
                                                      const std::vector<double>& buckets) {
  if (!valid_name(name, true)) return invalid_argument("bad metric name: " + name);
  for (const std::string& label : label_names) {
    if (!valid_name(label, false)) return invalid_argument("metric " + name + ": bad label name: " + label);
    if (type == MetricType::kHistogram && label == "le") {
      return invalid_argument("metric " + name + ": histograms reserve the label le");
    }
  }
  for (size_t i = 0; i < buckets.size(); ++i) {
    if (!std::isfinite(buckets[i]) || (i > 0 && buckets[i] <= buckets[i - 1])) {
      return invalid_argument("metric " + name + ": buckets must be finite and strictly increasing");
    }
  }
  std::lock_guard lock(mu_);
  auto& slot = entries_[name];
  if (slot) {
    if (slot->type != type || slot->label_names != label_names || slot->buckets != buckets) {
      return already_exists("metric " + name + " is already registered with another type, labels or buckets");
    }
    return slot.get();
  }
  slot = std::make_unique<Entry>();
  slot->help = help;
  slot->type = type;
  slot->label_names = label_names;
  slot->buckets = buckets;
  switch (type) {
    case MetricType::kCounter:
      slot->family = std::make_unique<CounterFamily>(label_names, [] { return std::make_unique<Counter>(); });
      break;
    case MetricType::kGauge:
      slot->family = std::make_unique<GaugeFamily>(label_names, [] { return std::make_unique<Gauge>(); });
      break;
    case MetricType::kHistogram:
      slot->family = std::make_unique<HistogramFamily>(
          label_names, [buckets] { return std::make_unique<Histogram>(buckets); });
      break;
  }
  return slot.get();
}

Result<CounterFamily*> MetricsRegistry::counter(const std::string& name, const std::string& help,
                                                std::vector<std::string> label_names) {
  Result<Entry*> e = add(name, help, MetricType::kCounter, label_names, {});
  if (!e.is_ok()) return e.status();
  return std::get<0>((*e)->family).get();
}

Result<GaugeFamily*> MetricsRegistry::gauge(const std::string& name, const std::string& help,
                                            std::vector<std::string> label_names) {
  Result<Entry*> e = add(name, help, MetricType::kGauge, label_names, {});
  if (!e.is_ok()) return e.status();
  return std::get<1>((*e)->family).get();
}

Result<HistogramFamily*> MetricsRegistry::histogram(const std::string& name, const std::string& help,
                                                    std::vector<std::string> label_names,
                                                    std::vector<double> buckets) {
  Result<Entry*> e = add(name, help, MetricType::kHistogram, label_names, buckets);
  if (!e.is_ok()) return e.status();
  return std::get<2>((*e)->family).get();
}

void MetricsRegistry::on_scrape(std::function<void()> refresh) {
  std::lock_guard lock(refresh_mu_);
  refreshes_.push_back(std::move(refresh));
}

std::string MetricsRegistry::render() const {
  {
    std::lock_guard lock(refresh_mu_);
    for (const auto& refresh : refreshes_) refresh();
  }
  std::string out;
  std::lock_guard lock(mu_);
  for (const auto& [name, entry] : entries_) entry->render(name, out);
  return out;
}

}  // namespace fleetgate::http
