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

// How many acknowledgements the acked log holds now.
inline size_t acked_now(const std::filesystem::path& acked) { return read_acked_log(acked).lines; }

// The seconds until the acked log held more than `before + in_flight` acknowledgements, polled
// every 100 ms for at most `seconds`; nullopt when it did not. With `in_flight` at least the
// records the fleet can have unacknowledged at once (cars × window × records per frame), growth
// past it means frames sent after `before` was read were acknowledged: acks flow again, not only
// the stragglers of before the fault. (A missing file holds none: its size is no test, since
// file_size() of a file that is not there yet answers -1.)
inline std::optional<double> acks_pass(const std::filesystem::path& acked, size_t before, size_t in_flight, int seconds) {
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < seconds * 10; ++i) {
    if (acked_now(acked) > before + in_flight) {
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return std::nullopt;
}

}  // namespace fleetgate::testing
