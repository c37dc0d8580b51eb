// The fleet simulator's client side: N simulated vehicles, each on its own WebSocket to
// /v1/telemetry/ws with its bearer token, sending SimVehicle records as binary frames at a fixed
// rate (or as fast as acks allow) with a bounded window of unacknowledged frames. Every
// acknowledged (VIN, seq) is appended to a log so a crash test can look each one up in the store.
// A vehicle whose connection breaks stops; the run ends at the deadline or when all have stopped.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "fleetgate/core/result.h"

namespace fleetgate::telemetry {

struct SimCredential {
  std::string vin;
  std::string token;
};

struct FleetSimOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  std::string target = "/v1/telemetry/ws";
  std::vector<SimCredential> vehicles{};
  double rate = 1;                    // records per second per vehicle; 0 = as fast as acks allow
  std::chrono::milliseconds duration{10'000};
  size_t window = 64;                 // unacknowledged frames per vehicle
  std::filesystem::path acked_log{};  // "VIN SEQ" per acknowledged frame; empty = none
  uint64_t seed = 1;
};

struct FleetSimProgress {
  uint64_t sent = 0;
  uint64_t acked = 0;
  uint64_t refused = 0;   // acks that refused a frame
  uint64_t errors = 0;    // connections that failed or broke
  uint64_t bytes_sent = 0;
  double seconds = 0;     // since the start
  double acked_per_second() const { return seconds > 0 ? acked / seconds : 0; }
};

// Runs the fleet; `on_progress` is called about once a second and at the end. kInvalidArgument
// for no vehicles; kUnavailable when the acked log cannot be written. Connection failures are
// counted in errors, not returned.
Result<FleetSimProgress> run_fleet(const FleetSimOptions& options,
                                   const std::function<void(const FleetSimProgress&)>& on_progress = {});

// Reads "VIN TOKEN" lines (blank lines and '#' comments skipped).
Result<std::vector<SimCredential>> read_credentials(const std::filesystem::path& file);

}  // namespace fleetgate::telemetry
