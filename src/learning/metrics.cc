#include "fleetgate/learning/metrics.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <numeric>

namespace fleetgate::learning {
namespace {

std::optional<double> rank_auc(const std::vector<float>& p, const std::vector<float>& labels, size_t positives) {
  const size_t n = p.size();
  const size_t negatives = n - positives;
  if (positives == 0 || negatives == 0) return std::nullopt;
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return p[a] < p[b]; });
  double positive_rank_sum = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && p[order[j]] == p[order[i]]) ++j;
    const double average_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;  // 1-based ranks i+1..j
    for (size_t k = i; k < j; ++k) {
      if (labels[order[k]] > 0.5f) positive_rank_sum += average_rank;
    }
    i = j;
  }
  const double pos = static_cast<double>(positives);
  const double u = positive_rank_sum - pos * (pos + 1) / 2;
  return u / (pos * static_cast<double>(negatives));
}

}  // namespace

BinaryMetrics binary_metrics(const std::vector<float>& probabilities, const std::vector<float>& labels) {
  assert(probabilities.size() == labels.size());
  BinaryMetrics m;
  m.examples = labels.size();
  if (m.examples == 0) return m;
  size_t correct = 0;
  double loss = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    const bool positive = labels[i] > 0.5f;
    if (positive) ++m.positives;
    if ((probabilities[i] >= 0.5f) == positive) ++correct;
    const double q = std::clamp(static_cast<double>(probabilities[i]), 1e-7, 1 - 1e-7);
    loss -= positive ? std::log(q) : std::log(1 - q);
  }
  m.accuracy = static_cast<double>(correct) / static_cast<double>(m.examples);
  m.log_loss = loss / static_cast<double>(m.examples);
  m.auc = rank_auc(probabilities, labels, m.positives);
  return m;
}

}  // namespace fleetgate::learning
