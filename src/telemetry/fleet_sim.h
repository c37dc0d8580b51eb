// The fleet simulator's client side: N simulated vehicles, each on its own WebSocket to
// /v1/telemetry/ws with its bearer token, sending SimVehicle records as binary frames (one
// record each, or batches of records_per_frame on ?batch=1) at a fixed rate (or as fast as acks
// allow) with a bounded window of unacknowledged frames. Every acknowledged (VIN, seq) is
// appended to a log so a crash test can look each one up in the store.
// A vehicle whose connection fails or breaks reconnects after a backoff (100 ms doubling up to
// 5 s; it gives up after max_retries attempts in a row) and first sends every unacknowledged
// frame again, byte for byte: the server stores a record under (vehicle, created_at, seq), so a
// resent record overwrites itself and is never stored twice. The run ends at the deadline, plus
// up to 10 s for outstanding acks, or when every vehicle has stopped. FleetSimOptions::records
// swaps the drive model for another source (fcd_replay.h replays recorded traffic through it).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "fleetgate/core/result.h"
#include "fleetgate/telemetry/record.h"

namespace fleetgate::telemetry {

struct SimCredential {
  std::string vin;
  std::string token;
  std::string region = {};  // the car's home region, where it drives (SimVehicle); empty: unknown
};

struct FleetSimOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  std::string target = "/v1/telemetry/ws";
  std::vector<SimCredential> vehicles{};
  double rate = 1;                    // records per second per vehicle; 0 = as fast as acks allow
  std::chrono::milliseconds duration{10'000};
  size_t window = 64;                 // unacknowledged frames per vehicle
  std::filesystem::path acked_log{};  // "VIN SEQ" per acknowledged record; empty = none
  uint64_t seed = 1;
  size_t records_per_frame = 1;       // > 1: batch frames on target + "?batch=1"
  size_t max_retries = 10;            // reconnect attempts in a row before giving up; 0 = none
  // Where records come from: empty = each vehicle's SimVehicle drive model. Otherwise called with
  // the vehicle's index in `vehicles` and at most how many records it wants for the next frame;
  // it returns them (with their own created_at and seq), none once the vehicle has no more.
  std::function<std::vector<Record>(size_t vehicle, size_t max_records)> records{};
  // wss: TLS verified against ca_file (empty: the system store), presenting client_cert and
  // client_key (PEM paths; "{vin}" in them is replaced by each vehicle's VIN) when set. With a
  // client certificate a vehicle's token may be empty: no Authorization header is sent then.
  bool tls = false;
  std::filesystem::path ca_file{};
  std::string client_cert{};
  std::string client_key{};
};

struct FleetSimProgress {
  uint64_t sent = 0;      // records, each counted once however often it was resent
  uint64_t acked = 0;     // records acknowledged as stored
  uint64_t refused = 0;   // records in frames the server refused
  uint64_t errors = 0;    // connections that failed or broke
  uint64_t reconnects = 0;  // connections opened again after a failure
  uint64_t resent = 0;      // frames sent again on a new connection
  uint64_t bytes_sent = 0;
  // From a frame's (last) send to its ack, over every acked frame; set when the run ends.
  uint64_t ack_p50_us = 0;
  uint64_t ack_p99_us = 0;
  double seconds = 0;     // since the start
  double acked_per_second() const { return seconds > 0 ? acked / seconds : 0; }
};

// Runs the fleet; `on_progress` is called about once a second and at the end. kInvalidArgument
// for no vehicles; kUnavailable when the acked log cannot be written. Connection failures are
// counted in errors, not returned.
Result<FleetSimProgress> run_fleet(const FleetSimOptions& options,
                                   const std::function<void(const FleetSimProgress&)>& on_progress = {});

// Sets host, port, target and tls from a ws[s]://HOST[:PORT]/PATH URL (port 80 or 443 when
// absent). kInvalidArgument for another scheme or a bad port.
Status set_endpoint(FleetSimOptions& options, std::string_view url);

// Reads "VIN TOKEN" lines, or "VIN" alone for vehicles that authenticate by client certificate
// (blank lines and '#' comments skipped).
Result<std::vector<SimCredential>> read_credentials(const std::filesystem::path& file);

}  // namespace fleetgate::telemetry
