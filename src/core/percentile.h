// The p-quantile of measured values (latencies of a run, rates of repeated runs).
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace fleetgate {

// The value at rank floor(p * n) (clamped to the last) of `v`, for p in [0, 1]; reorders `v`.
// T{} when `v` is empty.
template <typename T>
T percentile(std::vector<T>& v, double p) {
  if (v.empty()) return T{};
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

}  // namespace fleetgate
