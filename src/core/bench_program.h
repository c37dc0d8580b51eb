// Shared by the standalone benchmark programs (src/*/*_bench.cc, run by bench/scenarios/): fail
// with one line on stderr naming the program, read an optional positional number, take a
// percentile of measured values.
#pragma once

#include <errno.h>  // program_invocation_short_name (glibc)

#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "fleetgate/core/percentile.h"

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

using fleetgate::percentile;  // core/percentile.h

}  // namespace fleetgate::bench
