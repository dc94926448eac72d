// The console contract and the SSH banner check are the same for every VM driver: these
// adapt the shared implementations (drivers/qemu/console.h, readiness.h) to a log path.
#include "drivers/virtualbox/readiness.h"

#include <sstream>

#include "drivers/qemu/console.h"
#include "drivers/qemu/readiness.h"

namespace machine::drivers::virtualbox {
namespace {
constexpr size_t kConsoleBytes = 1 << 20;
}  // namespace

bool ssh_banner_ready(int port, std::chrono::milliseconds timeout) { return qemu::ssh_banner_ready(port, timeout); }

std::string console_tail(const std::filesystem::path& log, size_t lines) {
  return qemu::last_lines(qemu::read_file_tail(log, kConsoleBytes), lines);
}

bool console_has_line(const std::filesystem::path& log, std::string_view marker) {
  std::istringstream in(qemu::read_file_tail(log, kConsoleBytes));
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line == marker) return true;
  }
  return false;
}

std::vector<std::string> console_host_keys(const std::filesystem::path& log) {
  return qemu::parse_host_keys(qemu::read_file_tail(log, kConsoleBytes));
}

}  // namespace machine::drivers::virtualbox
