// What this binary is: its version (the CMake project's) and build type, as `--version` prints
// them and /metrics reports them in fleetgate_build_info.
#pragma once

#include <string_view>

namespace fleetgate::app {

std::string_view build_version();
std::string_view build_type();  // CMAKE_BUILD_TYPE, e.g. "RelWithDebInfo"

}  // namespace fleetgate::app
