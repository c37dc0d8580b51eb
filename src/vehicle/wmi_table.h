// World Manufacturer Identifier table (src/vehicle/wmi_table.tsv, embedded and checked at compile
// time): who holds a WMI (VIN positions 1-3), the country it is assigned in, and the plant names
// its maker encodes in VIN position 11. Lookups are a binary search over a sorted array and
// never allocate; the returned views point into static storage.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

namespace fleetgate::vehicle {

struct Plant {
  char code;                      // VIN position 11
  std::string_view name;
};

struct WmiEntry {
  std::string_view key;           // "5YJ"; or WMI + positions 12-14 ("VF9795") for a small maker
  std::string_view manufacturer;
  std::string_view country;       // ISO 3166-1 alpha-2
  std::span<const Plant> plants;  // the plant codes the table knows for this key
};

// The manufacturer of a VIN: for a small manufacturer (position 3 is '9') the 6-character key
// WMI + positions 12-14 is tried first, then the 3-character WMI. nullptr when not listed or
// `vin` is shorter than 3 characters.
const WmiEntry* find_manufacturer(std::string_view vin);

// The row with exactly this key (3 or 6 characters), nullptr when not listed.
const WmiEntry* find_wmi(std::string_view key);

// Name of plant `code` (VIN position 11) for the entry's maker; "" when the table has none.
std::string_view find_plant(const WmiEntry& entry, char code);

// Number of rows in the embedded table.
size_t wmi_table_size();

// What is wrong with a TSV in the wmi_table.tsv format (see its header), for tests and tools:
// kind kNone when it is well formed; otherwise the first problem and its 1-based line.
enum class WmiTableProblemKind {
  kNone,
  kFieldCount,          // not 3 or 4 TAB-separated fields
  kBadKey,              // key not 3 or 6 VIN characters, or 6 without '9' in position 3
  kEmptyManufacturer,
  kBadCountry,          // not two uppercase letters
  kBadPlant,            // plant item not CODE=name with CODE a VIN character
  kDuplicatePlant,      // a plant code twice in one row
  kDuplicateKey,        // a key on two rows (line is the second)
};
struct WmiTableProblem {
  WmiTableProblemKind kind = WmiTableProblemKind::kNone;
  int line = 0;
};
WmiTableProblem check_wmi_table(std::string_view tsv);

}  // namespace fleetgate::vehicle
