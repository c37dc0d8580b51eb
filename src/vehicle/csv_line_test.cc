#include "fleetgate/vehicle/csv_line.h"

#include <gtest/gtest.h>

namespace fleetgate::vehicle {
namespace {

std::vector<std::string> split(std::string_view line) {
  auto r = split_csv_line(line);
  EXPECT_TRUE(r.is_ok()) << line << ": " << r.status().to_string();
  return r.is_ok() ? *r : std::vector<std::string>{};
}

TEST(CsvLine, SplitsPlainFields) {
  EXPECT_EQ(split("a,b,c"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(split(""), (std::vector<std::string>{""}));
  EXPECT_EQ(split("a,,"), (std::vector<std::string>{"a", "", ""}));
  EXPECT_EQ(split(" a , b"), (std::vector<std::string>{" a ", " b"}));
}

TEST(CsvLine, UnquotesQuotedFields) {
  EXPECT_EQ(split(R"(x,"a, b","say ""hi""")"), (std::vector<std::string>{"x", "a, b", "say \"hi\""}));
  EXPECT_EQ(split(R"("",x)"), (std::vector<std::string>{"", "x"}));
  EXPECT_EQ(split(R"(x,"")"), (std::vector<std::string>{"x", ""}));
}

TEST(CsvLine, RejectsBrokenQuoting) {
  EXPECT_EQ(split_csv_line(R"(a,"open)").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(split_csv_line(R"(a,"closed"x)").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(split_csv_line(R"(a,b"c)").status().code(), Code::kInvalidArgument);
  EXPECT_NE(split_csv_line(R"(a,"open)").status().message().find("column 3"), std::string::npos);
}

}  // namespace
}  // namespace fleetgate::vehicle
