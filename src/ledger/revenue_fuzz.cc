// libFuzzer target: revenue events as operators send them, `fleetgate ledger revenue import` CSV
// and the POST /v1/ledger/revenue JSON, read against the shipped config/ledger.toml. The input is
// tried as both. Properties: a refusal says why; every accepted event is of a configured feature,
// has the sign its type calls for, is recognised in parts that sum to its amount, and survives its
// stored form unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include <boost/json/parse.hpp>

#include "fleetgate/ledger/revenue_event.h"

namespace {

using namespace fleetgate::ledger;

const LedgerConfig& shipped_config() {
  static const LedgerConfig config = [] {
    std::ifstream in(FLEETGATE_SOURCE_DIR "/config/ledger.toml");
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto parsed = parse_ledger_config(text, "config/ledger.toml");
    if (!parsed.is_ok()) std::abort();
    return std::move(parsed).value();
  }();
  return config;
}

void check(const fleetgate::Result<std::vector<SourcedEvent>>& events) {
  if (!events.is_ok()) {
    if (events.status().message().empty()) __builtin_trap();
    return;
  }
  for (const SourcedEvent& s : *events) {
    const RevenueEvent& e = s.event;
    const Feature* feature = shipped_config().feature(e.feature);
    if (feature == nullptr || s.where.empty()) __builtin_trap();
    const bool sign_ok = e.type == RevenueType::kRefund       ? e.amount_minor < 0
                         : e.type == RevenueType::kCorrection ? e.amount_minor != 0
                                                              : e.amount_minor > 0;
    if (!sign_ok) __builtin_trap();
    int64_t sum = 0;
    for (const Recognition& r : recognise(e, *feature)) sum += r.amount_minor;
    if (sum != e.amount_minor) __builtin_trap();
    auto back = decode_event(encode_event(e));
    if (!back.is_ok() || !(*back == e)) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check(parse_revenue_csv(text, shipped_config()));
  boost::system::error_code ec;
  const boost::json::value body = boost::json::parse(text, ec);
  if (!ec) check(parse_revenue_json(body, shipped_config()));
  return 0;
}
