// Test support: the file `fleetgate sim run --acked FILE` writes ("VIN SEQ" per acknowledged
// record), read back by VIN, for tests that look every acknowledged record up afterwards.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>

namespace fleetgate::testing {

struct AckedLog {
  std::map<std::string, std::set<uint64_t>> seqs;  // by VIN
  size_t lines = 0;                                // acknowledgements, resends included
};

inline AckedLog read_acked_log(const std::filesystem::path& file) {
  AckedLog out;
  std::ifstream in(file);
  std::string vin;
  uint64_t seq = 0;
  while (in >> vin >> seq) {
    ++out.lines;
    out.seqs[vin].insert(seq);
  }
  return out;
}

}  // namespace fleetgate::testing
