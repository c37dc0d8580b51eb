// For fuzz targets that need several inputs from one byte string: the bytes are parts separated by
// NUL ('\0', which no text input we parse may contain), so seeds stay readable and easy to write
// (`printf 'part one\0part two'`). A missing part reads as empty.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace fleetgate::fuzz {

class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size) : rest_(reinterpret_cast<const char*>(data), size) {}

  // The bytes up to the next NUL (or the end), consumed with the NUL.
  std::string_view part() {
    const size_t end = rest_.find('\0');
    const std::string_view p = rest_.substr(0, end);
    rest_.remove_prefix(end == std::string_view::npos ? rest_.size() : end + 1);
    return p;
  }

  // The first byte of the next part (0 when there is none), for choices and small numbers.
  uint8_t choice() {
    const std::string_view p = part();
    return p.empty() ? 0 : static_cast<uint8_t>(p.front());
  }

  // Everything not consumed yet, NULs included.
  std::string_view rest() const { return rest_; }

 private:
  std::string_view rest_;
};

}  // namespace fleetgate::fuzz
