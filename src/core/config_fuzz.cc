// libFuzzer target: any byte string given to the config parser yields a Config or an error.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fleetgate/core/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto result = fleetgate::config::parse_config(
      std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.toml");
  if (!result.is_ok() && result.status().message().empty()) __builtin_trap();
  return 0;
}
