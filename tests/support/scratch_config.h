// Test support: the repository's config/fleetgate.toml rewritten so every data dir lies under a
// scratch directory, for tests that run the real `fleetgate` binary.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "support/test_backend.h"

namespace fleetgate::testing {

// Writes DIR/fleetgate.toml with `data_dir` pointing at DIR/data, on the suite's control-plane
// backend (support/test_backend.h); returns its path.
inline std::filesystem::path write_scratch_config(const std::filesystem::path& dir) {
  std::ifstream in(FLEETGATE_SOURCE_DIR "/config/fleetgate.toml");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string from = "data_dir = \"../data\"";
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "config/fleetgate.toml no longer sets " << from;
  if (at != std::string::npos) text.replace(at, from.size(), "data_dir = \"" + (dir / "data").string() + "\"");
  const auto path = dir / "fleetgate.toml";
  std::ofstream(path) << text;
  use_suite_backend(path);
  return path;
}

}  // namespace fleetgate::testing
