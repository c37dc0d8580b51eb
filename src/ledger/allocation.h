// Splitting a pool of money by exact rational weights. Every weight is an integer numerator over
// the sum of all numerators; each party gets floor(pool * w), and the minor units left over go one
// each to the largest remainders, ties to the earlier party. The shares always sum exactly to
// the pool; a negative pool (net refunds) is split as its magnitude and negated.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "fleetgate/core/result.h"

namespace fleetgate::ledger {

using Wide = unsigned __int128;

// REQUIRES: numerators non-empty. kInvalidArgument when every numerator is zero (no way to split)
// or when |pool| * sum(numerators) does not fit in 128 bits.
Result<std::vector<int64_t>> split_largest_remainder(int64_t pool, std::span<const Wide> numerators);

// Decimal text of a 128-bit value, for statements.
std::string wide_to_string(Wide v);
Wide gcd(Wide a, Wide b);

}  // namespace fleetgate::ledger
