#include "fleetgate/core/log_line.h"

#include <gtest/gtest.h>
#include <spdlog/details/log_msg.h>

#include <boost/json/parse.hpp>
#include <chrono>
#include <set>
#include <string>
#include <mutex>
#include <thread>
#include <vector>

#include "fleetgate/core/log_tags.h"

namespace fleetgate {
namespace {

using Format = config::LogSettings::Format;

// 2026-12-07T18:05:01.123Z
std::chrono::system_clock::time_point at() {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(1'796'666'701'123));
}

std::string line(Format format, spdlog::level::level_enum level, std::string_view message) {
  spdlog::details::log_msg msg(at(), spdlog::source_loc{}, "", level, spdlog::string_view_t(message.data(), message.size()));
  spdlog::memory_buf_t out;
  make_log_formatter(format)->format(msg, out);
  return std::string(out.data(), out.size());
}

TEST(LogLine, TextNamesTimeLevelRegionRouteAndRequest) {
  const LogTags tags{"req_abc_7", "/v1/chat/completions", "cn"};
  LogScope scope(tags);
  EXPECT_EQ(line(Format::kText, spdlog::level::warn, "provider deepseek failed"),
            "2026-12-07T18:05:01.123Z warning cn /v1/chat/completions req_abc_7 provider deepseek failed\n");
}

TEST(LogLine, TextMarksWhatALineIsNotAbout) {
  EXPECT_EQ(line(Format::kText, spdlog::level::info, "fleetgate stopped"),
            "2026-12-07T18:05:01.123Z info - - - fleetgate stopped\n");
  const LogTags unrouted{"req_x_1", "", ""};
  LogScope scope(unrouted);
  EXPECT_EQ(line(Format::kText, spdlog::level::info, "m"), "2026-12-07T18:05:01.123Z info - - req_x_1 m\n");
}

TEST(LogLine, JsonIsOneObjectPerLineWithTheMessageEscaped) {
  const LogTags tags{"req_abc_7", "/v1/vehicles/{vin}", "eu"};
  LogScope scope(tags);
  const std::string text = line(Format::kJson, spdlog::level::err, "bad \"VIN\"\n\tend \\ \x01");
  ASSERT_EQ(text.back(), '\n');
  EXPECT_EQ(text.find('\n'), text.size() - 1) << "one line";
  const boost::json::object o = boost::json::parse(text).as_object();
  EXPECT_EQ(o.at("time").as_string(), "2026-12-07T18:05:01.123Z");
  EXPECT_EQ(o.at("level").as_string(), "error");
  EXPECT_EQ(o.at("region").as_string(), "eu");
  EXPECT_EQ(o.at("route").as_string(), "/v1/vehicles/{vin}");
  EXPECT_EQ(o.at("request_id").as_string(), "req_abc_7");
  EXPECT_EQ(o.at("message").as_string(), "bad \"VIN\"\n\tend \\ \x01");
}

TEST(LogLine, JsonLeavesOutTagsALineDoesNotHave) {
  const boost::json::object o = boost::json::parse(line(Format::kJson, spdlog::level::info, "started")).as_object();
  EXPECT_EQ(o.size(), 3u);
  EXPECT_FALSE(o.contains("region"));
  EXPECT_FALSE(o.contains("request_id"));
}

TEST(LogTags, ScopesNestAndRestoreTheOuterOne) {
  EXPECT_EQ(current_log_tags(), nullptr);
  const LogTags outer{"req_o_1", "/a", ""};
  const LogTags inner{"req_i_1", "/b", "us"};
  {
    LogScope a(outer);
    {
      LogScope b(inner);
      EXPECT_EQ(current_log_tags(), &inner);
    }
    EXPECT_EQ(current_log_tags(), &outer);
  }
  EXPECT_EQ(current_log_tags(), nullptr);
}

TEST(LogTags, ScopesBelongToTheirThread) {
  const LogTags tags{"req_t_1", "/a", "cn"};
  LogScope scope(tags);
  const LogTags* seen = &tags;
  std::thread([&] { seen = current_log_tags(); }).join();
  EXPECT_EQ(seen, nullptr);
}

TEST(LogTags, RequestIdsAreUniqueAcrossThreads) {
  std::set<std::string> ids;
  std::mutex mu;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        std::string id = next_request_id();
        std::lock_guard lock(mu);
        EXPECT_TRUE(id.starts_with("req_")) << id;
        ids.insert(std::move(id));
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ids.size(), 4000u);
}

}  // namespace
}  // namespace fleetgate
