#include "fleetgate/vehicle/wmi_table.h"

#include <gtest/gtest.h>

#include <string>

namespace fleetgate::vehicle {
namespace {

using Kind = WmiTableProblemKind;

TEST(WmiTable, EmbedsTheTsv) { EXPECT_GT(wmi_table_size(), 150u); }

TEST(WmiTable, FindsEveryTeslaWmiWithItsPlants) {
  struct Case {
    const char* wmi;
    char plant;
    const char* name;
  };
  for (const Case& c : {Case{"5YJ", 'F', "Fremont, California"}, Case{"7SA", 'A', "Austin, Texas"},
                        Case{"7SA", 'F', "Fremont, California"}, Case{"7G2", 'A', "Austin, Texas"},
                        Case{"LRW", 'C', "Shanghai"}, Case{"XP7", 'B', "Grünheide (Berlin-Brandenburg)"}}) {
    const WmiEntry* e = find_wmi(c.wmi);
    ASSERT_NE(e, nullptr) << c.wmi;
    EXPECT_EQ(e->key, c.wmi);
    EXPECT_EQ(find_plant(*e, c.plant), c.name) << c.wmi << " " << c.plant;
  }
}

TEST(WmiTable, FindsMakersAcrossTheTable) {
  // First and last rows by sort order, and one from each main market.
  for (const char* wmi : {"1C3", "ZHW", "LGX", "WVW", "1FA", "JTD", "VF1"}) {
    EXPECT_NE(find_wmi(wmi), nullptr) << wmi;
  }
  EXPECT_EQ(find_wmi("LGX")->country, "CN");
  EXPECT_EQ(find_wmi("WVW")->country, "DE");
  EXPECT_EQ(find_wmi("3VW")->country, "MX");
}

TEST(WmiTable, MissesUnknownAndMalformedKeys) {
  EXPECT_EQ(find_wmi("AAA"), nullptr);
  EXPECT_EQ(find_wmi("5Y"), nullptr);
  EXPECT_EQ(find_wmi("5YJ3"), nullptr);
  EXPECT_EQ(find_wmi(""), nullptr);
  EXPECT_EQ(find_manufacturer("5Y"), nullptr);
}

TEST(WmiTable, UnknownPlantIsEmpty) { EXPECT_EQ(find_plant(*find_wmi("LRW"), 'F'), ""); }

TEST(WmiTable, SmallManufacturerNeedsPositions12To14) {
  EXPECT_EQ(find_manufacturer("VF9SP3V33JM795012")->manufacturer, "Bugatti Automobiles S.A.S.");
  EXPECT_EQ(find_manufacturer("VF9SP3V33JM123012"), nullptr);
  EXPECT_EQ(find_wmi("VF9795")->key, "VF9795");
  // A short input still finds a 3-character WMI, never a 6-character one.
  EXPECT_EQ(find_manufacturer("VF9"), nullptr);
  EXPECT_EQ(find_manufacturer("5YJ")->manufacturer, "Tesla, Inc.");
}

// --- the TSV format ------------------------------------------------------------------------------

WmiTableProblem check(const std::string& tsv) { return check_wmi_table(tsv); }

TEST(WmiTableFormat, AcceptsCommentsBlankLinesCrlfAndOptionalPlants) {
  const WmiTableProblem p = check("# comment\n\n5YJ\tTesla\tUS\tF=Fremont;A=Austin\r\nLRW\tTesla China\tCN\n");
  EXPECT_EQ(p.kind, Kind::kNone);
  EXPECT_EQ(check("").kind, Kind::kNone);
}

TEST(WmiTableFormat, NamesTheProblemAndItsLine) {
  struct Case {
    const char* tsv;
    Kind kind;
    int line;
  };
  for (const Case& c : {
           Case{"5YJ\tTesla\n", Kind::kFieldCount, 1},
           Case{"5YJ\tTesla\tUS\tF=Fremont\textra\n", Kind::kFieldCount, 1},
           Case{"# c\n5Y\tTesla\tUS\n", Kind::kBadKey, 2},
           Case{"5YO\tTesla\tUS\n", Kind::kBadKey, 1},
           Case{"5yj\tTesla\tUS\n", Kind::kBadKey, 1},
           Case{"VF1795\tRenault\tFR\n", Kind::kBadKey, 1},  // 6 characters need '9' in position 3
           Case{"5YJ\t\tUS\n", Kind::kEmptyManufacturer, 1},
           Case{"5YJ\tTesla\tUSA\n", Kind::kBadCountry, 1},
           Case{"5YJ\tTesla\tus\n", Kind::kBadCountry, 1},
           Case{"5YJ\tTesla\tUS\tF-Fremont\n", Kind::kBadPlant, 1},
           Case{"5YJ\tTesla\tUS\tF=\n", Kind::kBadPlant, 1},
           Case{"5YJ\tTesla\tUS\tO=Oslo\n", Kind::kBadPlant, 1},
           Case{"5YJ\tTesla\tUS\tF=Fremont;;A=Austin\n", Kind::kBadPlant, 1},
           Case{"5YJ\tTesla\tUS\tF=Fremont;F=Fremont again\n", Kind::kDuplicatePlant, 1},
           Case{"5YJ\tTesla\tUS\nLRW\tTesla\tCN\n\n5YJ\tTesla again\tUS\n", Kind::kDuplicateKey, 4},
       }) {
    const WmiTableProblem p = check(c.tsv);
    EXPECT_EQ(p.kind, c.kind) << c.tsv;
    EXPECT_EQ(p.line, c.line) << c.tsv;
  }
}

}  // namespace
}  // namespace fleetgate::vehicle
