#include "fleetgate/telemetry/fcd_reader.h"

#include <expat.h>

#include <array>
#include <charconv>
#include <cstring>

namespace fleetgate::telemetry {
namespace {

constexpr size_t kChunkBytes = 1 << 16;

std::optional<double> parse_number(const char* text) {
  double v = 0;
  const char* end = text + std::strlen(text);
  auto [ptr, ec] = std::from_chars(text, end, v);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return v;
}

}  // namespace

struct FcdReader::Parser {
  XML_Parser xml = nullptr;
  FcdReader* reader = nullptr;
  std::optional<double> time_s;  // inside a <timestep>
  std::string error;             // the first problem, without location

  ~Parser() {
    if (xml != nullptr) XML_ParserFree(xml);
  }

  void stop(std::string why) {
    if (error.empty()) error = std::move(why);
    XML_StopParser(xml, XML_FALSE);
  }

  static void on_start(void* self, const XML_Char* name, const XML_Char** attrs) {
    static_cast<Parser*>(self)->start(name, attrs);
  }
  static void on_end(void* self, const XML_Char* name) {
    if (std::strcmp(name, "timestep") == 0) static_cast<Parser*>(self)->time_s.reset();
  }

  void start(const char* name, const char** attrs) {
    if (std::strcmp(name, "timestep") == 0) {
      for (size_t i = 0; attrs[i] != nullptr; i += 2) {
        if (std::strcmp(attrs[i], "time") == 0) time_s = parse_number(attrs[i + 1]);
      }
      if (!time_s) stop("<timestep> needs a numeric time");
      return;
    }
    if (std::strcmp(name, "vehicle") != 0) return;
    if (!time_s) return stop("<vehicle> outside a <timestep>");
    FcdSample s;
    s.time_s = *time_s;
    // Required numeric attributes, in the order of `wanted`.
    static constexpr std::array<const char*, 5> wanted = {"x", "y", "speed", "angle", "acceleration"};
    std::array<std::optional<double>, 5> values{};
    for (size_t i = 0; attrs[i] != nullptr; i += 2) {
      if (std::strcmp(attrs[i], "id") == 0) {
        s.id = attrs[i + 1];
        continue;
      }
      for (size_t k = 0; k < wanted.size(); ++k) {
        if (std::strcmp(attrs[i], wanted[k]) != 0) continue;
        values[k] = parse_number(attrs[i + 1]);
        if (!values[k]) return stop(std::string("<vehicle> ") + wanted[k] + " '" + attrs[i + 1] + "' is not a number");
      }
    }
    if (s.id.empty()) return stop("<vehicle> without an id");
    for (size_t k = 0; k + 1 < wanted.size(); ++k) {
      if (!values[k]) return stop("<vehicle id=\"" + s.id + "\"> has no " + wanted[k]);
    }
    s.x = *values[0];
    s.y = *values[1];
    s.speed_mps = *values[2];
    s.angle_deg = *values[3];
    s.acceleration_mps2 = values[4];
    reader->ready_.push_back(std::move(s));
  }
};

FcdReader::FcdReader(const std::filesystem::path& file)
    : file_(file), in_(file, std::ios::binary), parser_(std::make_unique<Parser>()) {
  parser_->reader = this;
  parser_->xml = XML_ParserCreate(nullptr);
  if (parser_->xml != nullptr) {
    XML_SetUserData(parser_->xml, parser_.get());
    XML_SetElementHandler(parser_->xml, &Parser::on_start, &Parser::on_end);
  }
}

FcdReader::~FcdReader() = default;

Result<std::unique_ptr<FcdReader>> FcdReader::open(const std::filesystem::path& file) {
  std::unique_ptr<FcdReader> r(new FcdReader(file));
  if (!r->in_) return not_found("cannot read " + file.string());
  if (r->parser_->xml == nullptr) return internal_error("cannot create an XML parser");
  return r;
}

Status FcdReader::feed() {
  std::array<char, kChunkBytes> buf;
  in_.read(buf.data(), buf.size());
  const auto n = static_cast<int>(in_.gcount());
  if (in_.bad()) return unavailable("cannot read " + file_.string());
  const bool last = in_.eof();
  if (XML_Parse(parser_->xml, buf.data(), n, last ? XML_TRUE : XML_FALSE) == XML_STATUS_ERROR) {
    const std::string why =
        parser_->error.empty() ? XML_ErrorString(XML_GetErrorCode(parser_->xml)) : parser_->error;
    return invalid_argument(file_.string() + ":" + std::to_string(XML_GetCurrentLineNumber(parser_->xml)) + ": " + why);
  }
  finished_ = last;
  return Status::ok();
}

Result<std::optional<FcdSample>> FcdReader::next() {
  while (ready_.empty() && error_.is_ok() && !finished_) error_ = feed();
  if (!error_.is_ok()) return error_;
  if (ready_.empty()) return std::optional<FcdSample>();
  FcdSample s = std::move(ready_.front());
  ready_.pop_front();
  return std::optional<FcdSample>(std::move(s));
}

}  // namespace fleetgate::telemetry
