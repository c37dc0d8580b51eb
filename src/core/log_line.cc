#include "fleetgate/core/log_line.h"

#include <spdlog/spdlog.h>

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <chrono>
#include <ctime>

#include "fleetgate/core/log_tags.h"

namespace fleetgate {
namespace {

void put(std::string_view text, spdlog::memory_buf_t& dest) { dest.append(text.data(), text.data() + text.size()); }

// "2026-12-07T18:05:01.123Z": the second's text is kept per thread, so most lines only add the
// milliseconds.
void append_time(std::chrono::system_clock::time_point t, spdlog::memory_buf_t& dest) {
  thread_local std::time_t cached_second = -1;
  thread_local char cached[24];
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const std::time_t second = static_cast<std::time_t>(ms / 1000);
  if (second != cached_second) {
    std::tm tm{};
    gmtime_r(&second, &tm);
    std::strftime(cached, sizeof cached, "%Y-%m-%dT%H:%M:%S", &tm);
    cached_second = second;
  }
  const auto milli = static_cast<int>(ms - static_cast<int64_t>(second) * 1000);
  put(std::string_view(cached), dest);
  const char frac[] = {'.', static_cast<char>('0' + milli / 100), static_cast<char>('0' + milli / 10 % 10),
                       static_cast<char>('0' + milli % 10), 'Z'};
  dest.append(frac, frac + sizeof frac);
}

void append_tag(std::string_view tag, spdlog::memory_buf_t& dest) {
  dest.push_back(' ');
  if (tag.empty()) dest.push_back('-');
  else put(tag, dest);
}

void append_json_string(std::string_view text, spdlog::memory_buf_t& dest) {
  const std::string quoted = boost::json::serialize(boost::json::string(text));
  put(quoted, dest);
}

void append_json_field(std::string_view name, std::string_view value, spdlog::memory_buf_t& dest) {
  dest.push_back(',');
  dest.push_back('"');
  put(name, dest);
  put(std::string_view("\":"), dest);
  append_json_string(value, dest);
}

class LineFormatter final : public spdlog::formatter {
 public:
  explicit LineFormatter(config::LogSettings::Format format) : format_(format) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const LogTags* tags = current_log_tags();
    const auto level = spdlog::level::to_string_view(msg.level);
    const std::string_view message(msg.payload.data(), msg.payload.size());
    if (format_ == config::LogSettings::Format::kText) {
      append_time(msg.time, dest);
      dest.push_back(' ');
      put(std::string_view(level.data(), level.size()), dest);
      append_tag(tags != nullptr ? tags->region : "", dest);
      append_tag(tags != nullptr ? tags->route : "", dest);
      append_tag(tags != nullptr ? tags->request_id : "", dest);
      dest.push_back(' ');
      put(message, dest);
    } else {
      put(std::string_view("{\"time\":\""), dest);
      append_time(msg.time, dest);
      dest.push_back('"');
      append_json_field("level", std::string_view(level.data(), level.size()), dest);
      if (tags != nullptr) {
        if (!tags->region.empty()) append_json_field("region", tags->region, dest);
        if (!tags->route.empty()) append_json_field("route", tags->route, dest);
        if (!tags->request_id.empty()) append_json_field("request_id", tags->request_id, dest);
      }
      append_json_field("message", message, dest);
      dest.push_back('}');
    }
    dest.push_back('\n');
  }

  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<LineFormatter>(format_); }

 private:
  config::LogSettings::Format format_;
};

spdlog::level::level_enum spdlog_level(config::LogSettings::Level level) {
  switch (level) {
    case config::LogSettings::Level::kTrace: return spdlog::level::trace;
    case config::LogSettings::Level::kDebug: return spdlog::level::debug;
    case config::LogSettings::Level::kInfo: return spdlog::level::info;
    case config::LogSettings::Level::kWarn: return spdlog::level::warn;
    case config::LogSettings::Level::kError: return spdlog::level::err;
    case config::LogSettings::Level::kOff: return spdlog::level::off;
  }
  return spdlog::level::info;
}

}  // namespace

std::unique_ptr<spdlog::formatter> make_log_formatter(config::LogSettings::Format format) {
  return std::make_unique<LineFormatter>(format);
}

void apply_log_settings(const config::LogSettings& settings) {
  spdlog::default_logger()->set_formatter(make_log_formatter(settings.format));
  spdlog::default_logger()->set_level(spdlog_level(settings.level));
}

}  // namespace fleetgate
