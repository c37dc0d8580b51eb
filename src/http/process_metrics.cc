#include "fleetgate/http/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <vector>

namespace fleetgate::http {
namespace {

struct Stat {
  double cpu_seconds = 0;
  double start_seconds_after_boot = 0;
  double virtual_bytes = 0;
  double resident_bytes = 0;
  double threads = 0;
};

// /proc/self/stat: fields after the parenthesised command name, which may itself hold spaces.
bool read_stat(Stat& out) {
  std::ifstream f("/proc/self/stat");
  std::string line;
  if (!std::getline(f, line)) return false;
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream rest(line.substr(close + 2));
  std::vector<std::string> fields;  // fields[0] is field 3 (state)
  for (std::string field; rest >> field;) fields.push_back(std::move(field));
  if (fields.size() < 22) return false;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  out.cpu_seconds = (std::stod(fields[11]) + std::stod(fields[12])) / ticks;  // utime + stime
  out.threads = std::stod(fields[17]);
  out.start_seconds_after_boot = std::stod(fields[19]) / ticks;
  out.virtual_bytes = std::stod(fields[20]);
  out.resident_bytes = std::stod(fields[21]) * page;
  return true;
}

double boot_time_seconds() {
  std::ifstream f("/proc/stat");
  for (std::string key; f >> key;) {
    if (key == "btime") {
      double t = 0;
      f >> t;
      return t;
    }
    f.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return 0;
}

double open_fds() {
  std::error_code ec;
  double n = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec)) ++n;
  return n - 1;  // the iterator's own descriptor
}

}  // namespace

Status register_process_metrics(MetricsRegistry& metrics, const std::string& version, const std::string& build_type) {
  auto build = metrics.gauge("fleetgate_build_info", "Always 1: the version and build type of this binary",
                             {"version", "build_type"});
  if (!build.is_ok()) return build.status();
  (*build)->with({version, build_type}).set(1);
  auto cpu = metrics.counter("process_cpu_seconds_total", "User and system CPU time spent, in seconds");
  auto resident = metrics.gauge("process_resident_memory_bytes", "Resident memory size in bytes");
  auto virt = metrics.gauge("process_virtual_memory_bytes", "Virtual memory size in bytes");
  auto fds = metrics.gauge("process_open_fds", "Open file descriptors");
  auto max_fds = metrics.gauge("process_max_fds", "Maximum number of open file descriptors (soft limit)");
  auto start = metrics.gauge("process_start_time_seconds", "Start time of the process since the Unix epoch, in seconds");
  auto threads = metrics.gauge("process_threads", "Threads of the process");
  for (const Status& s : {cpu.status(), resident.status(), virt.status(), fds.status(), max_fds.status(),
                          start.status(), threads.status()}) {
    if (!s.is_ok()) return s;
  }
  const double boot = boot_time_seconds();
  metrics.on_scrape([cpu = &(*cpu)->with({}), resident = &(*resident)->with({}), virt = &(*virt)->with({}),
                     fds = &(*fds)->with({}), max_fds = &(*max_fds)->with({}), start = &(*start)->with({}),
                     threads = &(*threads)->with({}), boot] {
    Stat stat;
    if (read_stat(stat)) {
      // A counter only goes up: it takes what the kernel counted since the last scrape.
      if (stat.cpu_seconds > cpu->value()) cpu->inc(stat.cpu_seconds - cpu->value());
      resident->set(stat.resident_bytes);
      virt->set(stat.virtual_bytes);
      threads->set(stat.threads);
      start->set(boot + stat.start_seconds_after_boot);
    }
    fds->set(open_fds());
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0) max_fds->set(static_cast<double>(limit.rlim_cur));
  });
  return Status::ok();
}

}  // namespace fleetgate::http
