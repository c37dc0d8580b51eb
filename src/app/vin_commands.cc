// `fleetgate vin decode|validate [--json] VIN...`: one result line per VIN; "-" reads one VIN per
// line from stdin. Results go to stdout through a large buffer (no per-line flush); a bad VIN
// prints an error line and processing continues; the exit code is 1 if any VIN was bad.
// `fleetgate vin locate VIN`: the region the global directory records for a VIN, and its endpoint.
#include <algorithm>
#include <boost/json.hpp>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "fleetgate/app/backend.h"
#include "fleetgate/app/cli.h"
#include "fleetgate/vehicle/vin.h"
#include "fleetgate/vehicle/vin_json.h"

namespace fleetgate::app {
namespace {

constexpr size_t kReadBlock = 1 << 20;
constexpr size_t kFlushAt = 1 << 20;
constexpr size_t kMaxLine = 1 << 20;   // longer stdin lines are cut here (still far from 17)
constexpr size_t kMaxEchoed = 64;      // input bytes repeated in an error line

// Calls fn(line, number) for each line of `file`, without its "\n" or "\r\n"; numbers from 1.
void for_each_line(std::FILE* file, const std::function<void(std::string_view, size_t)>& fn) {
  std::vector<char> block(kReadBlock);
  std::string pending;  // a line split across blocks
  size_t number = 0;
  auto emit = [&](std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    fn(line, ++number);
  };
  while (const size_t n = std::fread(block.data(), 1, block.size(), file)) {
    const std::string_view chunk(block.data(), n);
    size_t start = 0;
    for (size_t end; (end = chunk.find('\n', start)) != std::string_view::npos; start = end + 1) {
      const std::string_view line = chunk.substr(start, end - start);
      if (pending.empty()) {
        emit(line);
      } else {
        pending.append(line.substr(0, kMaxLine - std::min(kMaxLine, pending.size())));
        emit(pending);
        pending.clear();
      }
    }
    pending.append(chunk.substr(start, kMaxLine - std::min(kMaxLine, pending.size())));
  }
  if (!pending.empty()) emit(pending);
}

// `input` safe to print: bytes outside printable ASCII as \xNN, long input cut with "...".
std::string printable(std::string_view input) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const char c : input.substr(0, kMaxEchoed)) {
    if (c >= ' ' && c < 0x7f) {
      out += c;
    } else {
      const auto byte = static_cast<uint8_t>(c);
      out += {'\\', 'x', kHex[byte >> 4], kHex[byte & 0xf]};
    }
  }
  if (input.size() > kMaxEchoed) out += "...";
  return out;
}

void append_check(std::string& out, const vehicle::VinCheck& c) {
  if (c.check_digit_valid) {
    out += "check digit ok";
  } else {
    out.append("check digit should be '").append(1, c.check_digit_expected).append("' (not required for this WMI)");
  }
}

// Buffered stdout for one command run; counts the inputs and the bad ones.
class Results {
 public:
  explicit Results(bool json) : json_(json) { out_.reserve(kFlushAt + 4096); }
  Results(const Results&) = delete;
  Results& operator=(const Results&) = delete;
  ~Results() { flush(); }

  bool json() const { return json_; }

  void ok_json(const boost::json::value& v) {
    ++total_;
    write_json(v);
  }

  // write(out) appends the result line, without its newline.
  template <typename Write>
  void ok_text(Write&& write) {
    ++total_;
    write(out_);
    end_line();
  }

  // The error line for a bad input; `line` is its stdin line number, 0 for an argument.
  void error(std::string_view input, size_t line, const Status& status) {
    ++total_;
    ++bad_;
    if (!json_) {
      out_.append(printable(input)).append(": error: ").append(status.message());
      return end_line();
    }
    boost::json::object o{{"input", printable(input)}, {"error", status.message()}};
    if (line > 0) o["line"] = line;
    write_json(o);
  }

  // Flushes, then fails the command if any input was bad.
  void finish() {
    flush();
    if (bad_ > 0) fail(std::to_string(bad_) + " of " + std::to_string(total_) + " VINs invalid");
  }

 private:
  void write_json(const boost::json::value& v) {
    serializer_.reset(&v);
    char buf[4096];
    while (!serializer_.done()) out_.append(serializer_.read(buf));
    end_line();
  }
  void end_line() {
    out_ += '\n';
    if (out_.size() >= kFlushAt) flush();
  }
  void flush() {
    std::fwrite(out_.data(), 1, out_.size(), stdout);
    std::fflush(stdout);
    out_.clear();
  }

  bool json_;
  std::string out_;
  boost::json::serializer serializer_;
  size_t total_ = 0;
  size_t bad_ = 0;
};

// JSON values of one result line live in a stack buffer, so a line costs no heap allocation.
class LineArena {
 public:
  boost::json::storage_ptr storage() { return boost::json::storage_ptr(&resource_); }

 private:
  unsigned char buffer_[4096];
  boost::json::monotonic_resource resource_{buffer_, sizeof buffer_};
};

void decode_one(Results& results, std::string_view input, size_t line, int year) {
  auto r = vehicle::decode(input, year);
  if (!r.is_ok()) return results.error(input, line, r.status());
  const vehicle::DecodedVin& d = *r;
  if (results.json()) {
    LineArena arena;
    return results.ok_json(vehicle::to_json(d, arena.storage()));
  }
  results.ok_text([&](std::string& out) {
    out.append(d.vin).append(": ").append(d.manufacturer);
    if (!d.country.empty()) out.append(" (").append(d.country).append(")");
    out.append(", ").append(d.region_of_origin.empty() ? "unassigned region" : d.region_of_origin);
    out.append(", model year ").append(d.model_year ? std::to_string(*d.model_year) : "unknown");
    out.append(", plant ").append(1, d.plant_code);
    if (!d.plant.empty()) out.append(" (").append(d.plant).append(")");
    out.append(", serial ").append(d.serial).append(", ");
    append_check(out, d.check);
  });
}

void validate_one(Results& results, std::string_view input, size_t line) {
  auto r = vehicle::validate(input);
  if (!r.is_ok()) return results.error(input, line, r.status());
  if (results.json()) {
    LineArena arena;
    return results.ok_json(boost::json::object(
        {{"vin", input}, {"valid", true}, {"check_digit", vehicle::to_json(*r, arena.storage())}}, arena.storage()));
  }
  results.ok_text([&](std::string& out) {
    out.append(input).append(": ok, ");
    append_check(out, *r);
  });
}

struct VinArgs {
  std::vector<std::string> vins;
  bool json = false;
};

// Runs `one` on each VIN argument, and on each stdin line where the argument is "-".
void run(const VinArgs& args, const std::function<void(Results&, std::string_view, size_t)>& one) {
  Results results(args.json);
  for (const std::string& vin : args.vins) {
    if (vin == "-") {
      for_each_line(stdin, [&](std::string_view line, size_t number) { one(results, line, number); });
    } else {
      one(results, vin, 0);
    }
  }
  results.finish();
}

CLI::App* add_vin_subcommand(CLI::App& vin, const char* name, const char* description, VinArgs& args) {
  auto* cmd = vin.add_subcommand(name, description);
  cmd->add_option("vins", args.vins, "VINs; '-' reads one VIN per line from stdin")->required();
  cmd->add_flag("--json", args.json, "One JSON object per line");
  return cmd;
}

void add_locate(CLI::App& vin, Cli& cli) {
  auto number = std::make_shared<std::string>();
  auto* cmd = vin.add_subcommand("locate", "Find the region a registered VIN is homed in (global directory)");
  cmd->add_option("vin", *number, "VIN")->required();
  cmd->callback([&cli, number] {
    if (auto valid = vehicle::validate(*number); !valid.is_ok()) fail("invalid VIN: " + valid.status().message());
    Backend& b = backend(cli);
    const std::string region = must(b.control().directory->locate(*number));
    const config::Region* r = b.loaded().config->region(region);
    cli.out() << *number << ": region " << region << ", endpoint "
              << (r == nullptr || r->endpoint.empty() ? "not configured" : r->endpoint) << "\n";
  });
}

}  // namespace

void add_vin_commands(CLI::App& app, Cli& cli) {
  auto* vin = app.add_subcommand("vin", "Validate and decode Vehicle Identification Numbers, and find their home region");
  vin->require_subcommand(1);
  auto args = std::make_shared<VinArgs>();
  add_vin_subcommand(*vin, "decode", "Decode VINs: manufacturer, country, model year, plant, serial", *args)
      ->callback([args] {
        const int year = vehicle::current_utc_year();
        run(*args, [year](Results& r, std::string_view input, size_t line) { decode_one(r, input, line, year); });
      });
  add_vin_subcommand(*vin, "validate", "Check VINs: alphabet, length, check digit (mandatory in North America)", *args)
      ->callback([args] { run(*args, validate_one); });
  add_locate(*vin, cli);
}

}  // namespace fleetgate::app
