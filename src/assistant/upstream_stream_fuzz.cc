// libFuzzer target: an upstream's text/event-stream body through SseParser, the parser
// UpstreamClient feeds every streamed chat reply to. The first byte seeds how the body is cut into
// pieces (as TCP reads would cut it); the rest is the body. Properties: the events (and whether the
// event size limit was hit) are the same however the body is cut, and each event's data is within
// the limit.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "fleetgate/assistant/sse_parser.h"

namespace {

using namespace fleetgate::assistant;

constexpr size_t kMaxEventBytes = 4096;

struct Parsed {
  std::vector<SseEvent> events;
  bool too_large = false;
};

// Feeds `body` in pieces whose lengths follow `seed` (a small LCG; 0 means all at once).
Parsed parse(std::string_view body, uint8_t seed) {
  SseParser parser(kMaxEventBytes);
  Parsed out;
  auto collect = [&out](const SseEvent& e) {
    out.events.push_back(e);
    return true;
  };
  uint32_t state = seed;
  while (!body.empty()) {
    state = state * 1103515245u + 12345u;
    const size_t n = seed == 0 ? body.size() : 1 + (state >> 16) % 17;
    const fleetgate::Status s = parser.feed(body.substr(0, n), collect);
    if (!s.is_ok()) {
      if (s.code() != fleetgate::Code::kResourceExhausted) __builtin_trap();
      out.too_large = true;
      return out;
    }
    body.remove_prefix(std::min(n, body.size()));
  }
  return out;
}

bool same_events(const std::vector<SseEvent>& a, const std::vector<SseEvent>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].event != b[i].event || a[i].data != b[i].data || a[i].id != b[i].id) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  const Parsed whole = parse(body, 0);
  const Parsed pieces = parse(body, static_cast<uint8_t>(data[0] | 1));
  if (whole.too_large != pieces.too_large) __builtin_trap();
  if (!same_events(whole.events, pieces.events)) __builtin_trap();
  for (const SseEvent& e : whole.events) {
    if (e.data.size() > kMaxEventBytes) __builtin_trap();
  }
  return 0;
}
