// Shared by the standalone benchmark programs (src/*/*_bench.cc, run by bench/scenarios/): fail
// with one line on stderr naming the program, read an optional positional number, take a
// percentile of measured values.
#pragma once

#include <errno.h>  // program_invocation_short_name (glibc)

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace fleetgate::bench {

[[noreturn]] inline void die(const std::string& message) {
  std::cerr << program_invocation_short_name << ": " << message << "\n";
  std::exit(1);
}

// argv[i] as an int, `fallback` when there are fewer arguments; dies on anything else.
inline int int_arg(int argc, char** argv, int i, int fallback) {
  if (argc <= i) return fallback;
  try {
    return std::stoi(argv[i]);
  } catch (const std::exception&) {
    die(std::string("not a number: ") + argv[i]);
  }
}

// The value below which a fraction `p` (0 to 1) of `v` lies; 0 for none. Reorders `v`.
inline double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

}  // namespace fleetgate::bench
