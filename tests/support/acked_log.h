// Test support: the file `fleetgate sim run --acked FILE` writes ("VIN SEQ" per acknowledged
// record), read back by VIN, for tests that look every acknowledged record up afterwards.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>

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

// How long until `file` holds more than `before` acknowledgements, checked every 100 ms; nullopt
// when `seconds` passed first. (A missing file counts as none: its size is no test, since
// file_size() of a file that is not there yet answers -1.)
inline std::optional<std::chrono::milliseconds> time_until_acks_pass(const std::filesystem::path& file, size_t before,
                                                                     int seconds) {
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < seconds * 10; ++i) {
    if (read_acked_log(file).lines > before) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return std::nullopt;
}

}  // namespace fleetgate::testing
