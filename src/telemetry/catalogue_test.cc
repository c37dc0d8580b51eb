#include "fleetgate/telemetry/catalogue.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iomanip>
#include <iterator>
#include <set>
#include <sstream>

#include "fleetgate/telemetry/proto/telemetry.pb.h"

namespace fleetgate::telemetry {
namespace {

constexpr std::string_view kBegin = "<!-- catalogue:begin -->\n";
constexpr std::string_view kEnd = "<!-- catalogue:end -->";

std::string number(double v) {
  std::ostringstream out;
  out << std::setprecision(15) << v;
  return out.str();
}

std::string values(const FieldSpec& s) {
  switch (s.type) {
    case ValueType::kString: {
      std::string list;
      for (auto a : s.allowed) list += (list.empty() ? "`" : ", `") + std::string(a) + "`";
      return list;
    }
    case ValueType::kInt:
    case ValueType::kDouble: return number(s.min) + " … " + number(s.max);
    case ValueType::kBool: return "`true`, `false`";
    case ValueType::kLocation: return "lat -90 … 90, lon -180 … 180, heading 0 … 360 (optional)";
  }
  return "";
}

// The generated part of FIELDS.md.
std::string catalogue_table() {
  std::string out = "| # | field | type | unit | values | class | description |\n|---|---|---|---|---|---|---|\n";
  for (const FieldSpec& s : catalogue()) {
    out += "| " + std::to_string(static_cast<uint32_t>(s.field)) + " | `" + std::string(s.name) + "` | " +
           std::string(to_string(s.type)) + " | " + std::string(s.unit) + " | " + values(s) + " | " +
           std::string(to_string(s.data_class)) + " | " + std::string(s.description) + " |\n";
  }
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

TEST(Catalogue, MatchesTheProtoEnumOneToOne) {
  const google::protobuf::EnumDescriptor* e = wire::Field_descriptor();
  std::set<uint32_t> in_proto;
  for (int i = 0; i < e->value_count(); ++i) {
    const auto* v = e->value(i);
    if (v->number() == 0) continue;
    in_proto.insert(static_cast<uint32_t>(v->number()));
    const FieldSpec* s = find_field(static_cast<uint32_t>(v->number()));
    ASSERT_NE(s, nullptr) << v->name() << " has no catalogue entry";
    std::string expected = "FIELD_" + std::string(s->name);
    std::transform(expected.begin(), expected.end(), expected.begin(), [](unsigned char c) { return std::toupper(c); });
    EXPECT_EQ(v->name(), expected);
  }
  EXPECT_EQ(in_proto.size(), catalogue().size()) << "a catalogue entry is missing from proto/telemetry.proto";
}

TEST(Catalogue, LookupsAndEntriesAreConsistent) {
  std::set<std::string_view> names;
  for (const FieldSpec& s : catalogue()) {
    EXPECT_TRUE(names.insert(s.name).second) << s.name;
    EXPECT_EQ(find_field(s.name), &s);
    EXPECT_EQ(&spec(s.field), &s);
    EXPECT_FALSE(s.description.empty());
    if (s.type == ValueType::kString) {
      EXPECT_FALSE(s.allowed.empty()) << s.name;
    }
    if (s.type == ValueType::kInt || s.type == ValueType::kDouble) {
      EXPECT_LT(s.min, s.max) << s.name;
    }
  }
  EXPECT_EQ(find_field("sped"), nullptr);
  EXPECT_EQ(find_field(uint32_t{0}), nullptr);
  EXPECT_EQ(find_field(uint32_t{15}), nullptr);
  EXPECT_EQ(spec(Field::kLocation).data_class, DataClass::kPersonal);
  EXPECT_EQ(spec(Field::kStateOfCharge).data_class, DataClass::kTechnical);
}

TEST(Catalogue, FieldsMdMatchesTheTable) {
  const std::string path = std::string(FLEETGATE_SOURCE_DIR) + "/src/telemetry/FIELDS.md";
  const std::string doc = read_file(path);
  const size_t begin = doc.find(kBegin);
  const size_t end = doc.find(kEnd);
  ASSERT_NE(begin, std::string::npos) << path << " lacks " << kBegin;
  ASSERT_NE(end, std::string::npos) << path << " lacks " << kEnd;
  const std::string expected = doc.substr(0, begin + kBegin.size()) + catalogue_table() + doc.substr(end);
  if (doc != expected) {
    const std::string out = std::string(FLEETGATE_BINARY_DIR) + "/FIELDS.md.expected";
    std::ofstream(out, std::ios::binary) << expected;
    FAIL() << "src/telemetry/FIELDS.md is out of date with catalogue.cc; the expected file is at " << out
           << " (cp it over FIELDS.md after checking the diff)";
  }
}

}  // namespace
}  // namespace fleetgate::telemetry
