// Throughput of VIN validation and decoding over a generated fleet-like mix: WMIs of the main EV
// and volume makers, plants the table knows, valid check digits, and 2% malformed VINs.
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "fleetgate/vehicle/vin.h"
#include "fleetgate/vehicle/wmi_table.h"

namespace fleetgate::vehicle {
namespace {

constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ";
constexpr std::string_view kYearCodes = "ABCDEFGHJKLMNPRST";  // 2010-2026
constexpr const char* kWmis[] = {"5YJ", "7SA", "LRW", "XP7", "LGX", "LC0", "LSJ", "WVW", "WVG", "WBA", "W1K",
                                 "KMH", "KNA", "1FA", "1FM", "1G1", "JTD", "4T1", "YV1", "VF1", "ZFA", "JN1",
                                 "1N4", "7FC", "WAU", "AAA"};

std::vector<std::string> fleet_mix(size_t count) {
  std::mt19937 rng(42);
  auto pick = [&](std::string_view from) { return from[rng() % from.size()]; };
  std::vector<std::string> vins;
  vins.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    std::string vin = kWmis[rng() % std::size(kWmis)];
    for (int k = 0; k < 5; ++k) vin += pick(kAlphabet);
    vin += '0';
    vin += pick(kYearCodes);
    const WmiEntry* maker = find_wmi(vin.substr(0, 3));
    vin += maker != nullptr && !maker->plants.empty() ? maker->plants[rng() % maker->plants.size()].code
                                                       : pick(kAlphabet);
    for (int k = 0; k < 6; ++k) vin += static_cast<char>('0' + rng() % 10);
    vin[8] = check_digit(vin).value();
    switch (rng() % 100) {
      case 0: vin[8] = vin[8] == '0' ? '1' : '0'; break;  // wrong check digit
      case 1: vin[3] = 'o'; break;                        // lowercase
      default: break;
    }
    vins.push_back(std::move(vin));
  }
  return vins;
}

const std::vector<std::string>& vins() {
  static const std::vector<std::string> v = fleet_mix(1 << 16);
  return v;
}

void BM_Validate(benchmark::State& state) {
  for (auto _ : state) {
    for (const std::string& vin : vins()) benchmark::DoNotOptimize(validate(vin));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * vins().size()));
}
BENCHMARK(BM_Validate);

void BM_DecodeWithYear(benchmark::State& state) {
  for (auto _ : state) {
    for (const std::string& vin : vins()) benchmark::DoNotOptimize(decode(vin, 2025));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * vins().size()));
}
BENCHMARK(BM_DecodeWithYear);

void BM_DecodeReadingTheClock(benchmark::State& state) {
  for (auto _ : state) {
    for (const std::string& vin : vins()) benchmark::DoNotOptimize(decode(vin));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * vins().size()));
}
BENCHMARK(BM_DecodeReadingTheClock);

void BM_FindManufacturer(benchmark::State& state) {
  for (auto _ : state) {
    for (const std::string& vin : vins()) benchmark::DoNotOptimize(find_manufacturer(vin));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * vins().size()));
}
BENCHMARK(BM_FindManufacturer);

}  // namespace
}  // namespace fleetgate::vehicle

BENCHMARK_MAIN();
