// Streaming reader of SUMO floating car data (`sumo --fcd-output`): <timestep time="T"> elements
// holding one <vehicle id x y angle speed [acceleration]/> per vehicle on the road. expat parses
// the file in fixed chunks as samples are taken, so memory does not grow with the file; other
// elements (persons, containers, the configuration comment) are skipped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include "fleetgate/core/result.h"

namespace fleetgate::telemetry {

struct FcdSample {
  double time_s = 0;
  std::string id;        // SUMO vehicle id
  double x = 0, y = 0;   // network metres (or lon, lat when the FCD was written with --fcd-output.geo)
  double speed_mps = 0;
  double angle_deg = 0;  // SUMO angle: degrees clockwise from north
  std::optional<double> acceleration_mps2;  // when written with --fcd-output.acceleration
};

class FcdReader {
 public:
  // kNotFound when the file cannot be opened.
  static Result<std::unique_ptr<FcdReader>> open(const std::filesystem::path& file);
  ~FcdReader();
  FcdReader(const FcdReader&) = delete;
  FcdReader& operator=(const FcdReader&) = delete;

  // The next sample in file order, nullopt at the end of the document. kInvalidArgument naming
  // "FILE:LINE" for malformed XML, a vehicle outside a timestep, or a missing or non-numeric
  // attribute; after an error every call returns it again.
  Result<std::optional<FcdSample>> next();

 private:
  struct Parser;
  explicit FcdReader(const std::filesystem::path& file);
  Status feed();  // parses the next chunk of the file

  std::filesystem::path file_;
  std::ifstream in_;
  std::unique_ptr<Parser> parser_;
  std::deque<FcdSample> ready_;
  Status error_;
  bool finished_ = false;
};

}  // namespace fleetgate::telemetry
