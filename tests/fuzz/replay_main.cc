// The replay driver of a fuzz target in the normal build (cmake/fleetgate.cmake: fg_fuzz): feeds
// every file of the seed directory given as argv[1] to LLVMFuzzerTestOneInput, in name order, as
// libFuzzer would. A property failure traps, so ctest reports the target failed. Exits 1 when the
// directory is missing or empty: every target has seeds, and a typo must not pass as "0 of 0".
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s SEED_DIR\n", argv[0]);
    return 2;
  }
  std::error_code ec;
  std::vector<fs::path> seeds;
  for (const auto& entry : fs::directory_iterator(argv[1], ec)) {
    if (entry.is_regular_file()) seeds.push_back(entry.path());
  }
  if (ec || seeds.empty()) {
    std::fprintf(stderr, "%s: no seed files in %s%s%s\n", argv[0], argv[1], ec ? ": " : "", ec ? ec.message().c_str() : "");
    return 1;
  }
  std::sort(seeds.begin(), seeds.end());
  for (const fs::path& seed : seeds) {
    std::ifstream in(seed, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) {
      std::fprintf(stderr, "%s: cannot read %s\n", argv[0], seed.c_str());
      return 1;
    }
    std::fprintf(stderr, "replaying %s (%zu bytes)\n", seed.filename().c_str(), bytes.size());
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }
  std::fprintf(stderr, "%zu seeds replayed\n", seeds.size());
  return 0;
}
