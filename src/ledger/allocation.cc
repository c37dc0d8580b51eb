#include "fleetgate/ledger/allocation.h"

#include <algorithm>
#include <numeric>
#include <string>

namespace fleetgate::ledger {

Result<std::vector<int64_t>> split_largest_remainder(int64_t pool, std::span<const Wide> numerators) {
  Wide denominator = 0;
  for (Wide n : numerators) {
    if (__builtin_add_overflow(denominator, n, &denominator)) return invalid_argument("allocation weights overflow");
  }
  if (denominator == 0) return invalid_argument("allocation weights are all zero");
  const bool negative = pool < 0;
  const uint64_t magnitude = negative ? ~static_cast<uint64_t>(pool) + 1 : static_cast<uint64_t>(pool);
  std::vector<uint64_t> shares(numerators.size());
  std::vector<Wide> remainders(numerators.size());
  uint64_t given = 0;
  for (size_t i = 0; i < numerators.size(); ++i) {
    Wide product;
    if (__builtin_mul_overflow(static_cast<Wide>(magnitude), numerators[i], &product)) {
      return invalid_argument("allocation of " + std::to_string(pool) + " overflows 128-bit arithmetic");
    }
    shares[i] = static_cast<uint64_t>(product / denominator);
    remainders[i] = product % denominator;
    given += shares[i];
  }
  std::vector<size_t> order(numerators.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return remainders[a] > remainders[b]; });
  // Fewer than numerators.size() units are left: each floor lost less than one.
  for (uint64_t left = magnitude - given, k = 0; left > 0; --left, ++k) ++shares[order[k]];
  std::vector<int64_t> out(shares.size());
  for (size_t i = 0; i < shares.size(); ++i) {
    out[i] = negative ? static_cast<int64_t>(~shares[i] + 1) : static_cast<int64_t>(shares[i]);
  }
  return out;
}

std::string wide_to_string(Wide v) {
  if (v == 0) return "0";
  std::string s;
  for (; v > 0; v /= 10) s.push_back(static_cast<char>('0' + static_cast<int>(v % 10)));
  std::reverse(s.begin(), s.end());
  return s;
}

Wide gcd(Wide a, Wide b) {
  while (b != 0) a = std::exchange(b, a % b);
  return a;
}

}  // namespace fleetgate::ledger
