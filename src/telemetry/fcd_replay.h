// Replays SUMO floating car data (fcd_reader.h) as vehicle telemetry through the fleet
// simulator's WebSocket client (fleet_sim.h), i.e. through the normal ingest path. Each SUMO
// vehicle becomes one trip of a fleet vehicle (a VIN with its token); a VIN drives a new trip only
// after its previous one ended min_trip_gap_s earlier, so a VIN never is in two places at once.
// Samples become records stamped start_ms + time_s: speed, location (network metres projected
// around an origin, or lon/lat for geo FCD) with heading, longitudinal acceleration (FCD's, else
// from speed differences), pedals derived from it, yaw rate and gear.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fleetgate/core/result.h"
#include "fleetgate/telemetry/fcd_reader.h"
#include "fleetgate/telemetry/fleet_sim.h"
#include "fleetgate/telemetry/record.h"

namespace fleetgate::telemetry {

struct FcdTrips {
  std::map<std::string, size_t> slot_of;  // SUMO vehicle id -> fleet vehicle (slot) index
  size_t slots = 0;                        // fleet vehicles needed
  size_t samples = 0;
  double first_s = 0, last_s = 0;          // time span of the samples
};

// First pass over the file: every SUMO vehicle's trip and its slot (earliest free slot, by trip
// start then id, so the same file always gives the same plan). Reader errors; kInvalidArgument
// for a file with no vehicle sample.
Result<FcdTrips> plan_fcd_trips(const std::filesystem::path& fcd, double min_trip_gap_s = 10);

struct FcdProjection {
  double origin_lat = 0, origin_lon = 0;  // where network (0, 0) lies
  bool geo = false;                       // x/y already are lon/lat
};

// Converts one vehicle's samples into records; keeps the previous sample for derived values.
class FcdRecordMaker {
 public:
  FcdRecordMaker(FcdProjection projection, int64_t start_ms) : projection_(projection), start_ms_(start_ms) {}
  // The record of `s` for `vin` with sequence number `seq`. A sample whose id differs from the
  // previous one starts a new trip (no acceleration or yaw rate derived across trips).
  Record make(const FcdSample& s, const std::string& vin, uint64_t seq);

 private:
  FcdProjection projection_;
  int64_t start_ms_;
  std::optional<FcdSample> previous_;
};

struct FcdReplayOptions {
  FcdProjection projection{};
  int64_t start_ms = 0;  // wall-clock ms of FCD time 0; 0 = the last sample lands a second ago
  double min_trip_gap_s = 10;
};

// Plans the trips, checks there are enough credentials, and replays the file through
// run_fleet with `fleet` (whose vehicles are replaced by the first FcdTrips::slots of
// `credentials` and whose records source is the FCD). kFailedPrecondition when there are fewer
// credentials than slots; reader errors as plan_fcd_trips and FcdReader::next (a parse error
// mid-file ends every vehicle's stream and is returned after the run).
Result<FleetSimProgress> replay_fcd(const std::filesystem::path& fcd, const FcdReplayOptions& options,
                                    std::vector<SimCredential> credentials, FleetSimOptions fleet,
                                    const std::function<void(const FleetSimProgress&)>& on_progress = {});

}  // namespace fleetgate::telemetry
