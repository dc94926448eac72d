#include "drivers/qemu/vm_state.h"

#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fstream>
#include <sstream>

#include "drivers/common/console.h"
#include "drivers/qemu/qmp.h"
#include "machine/error.h"
#include "machine/store.h"

namespace machine::drivers::qemu {
namespace {

std::string with_serial(std::string reason, const std::string& serial_tail) {
  if (!serial_tail.empty()) reason += "; last console lines:\n" + serial_tail;
  return reason;
}

std::optional<std::chrono::system_clock::time_point> mtime(const std::filesystem::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return std::nullopt;
  return std::chrono::system_clock::from_time_t(st.st_mtime);
}

}  // namespace

StateInfo map_state(const VmObservation& o) {
  if (!o.process_is_ours) {
    if (!o.pidfile_present || o.pidfile_predates_boot) return {State::Stopped, ""};
    // QEMU removes its pidfile when it exits normally: it died (killed, crashed, failed).
    std::string why = common::last_lines(o.vm_log, 5);
    return {State::Error, with_serial(why.empty() ? fmt::format("qemu (pid {}) exited unexpectedly", o.pid)
                                                  : fmt::format("qemu (pid {}) exited: {}", o.pid, why),
                                      o.serial_tail)};
  }
  if (!o.qmp_status) {
    if (o.pidfile_age < kQmpGrace) return {State::Starting, ""};
    return {State::Error, fmt::format("qemu (pid {}) does not answer on QMP: {}", o.pid, o.qmp_error)};
  }
  const std::string& s = *o.qmp_status;
  if (s == "running") return {State::Running, ""};
  if (s == "paused" || s == "suspended" || s == "debug" || s == "watchdog" || s == "save-vm" ||
      s == "restore-vm" || s == "finish-migrate" || s == "postmigrate" || s == "inmigrate" || s == "colo")
    return {State::Paused, ""};
  if (s == "prelaunch") return {State::Starting, ""};
  if (s == "shutdown") return {State::Stopping, ""};
  // internal-error, io-error, guest-panicked and anything newer than this code.
  return {State::Error, with_serial(fmt::format("qemu reports status \"{}\"", s), o.serial_tail)};
}

int read_pidfile(const std::filesystem::path& pidfile) {
  std::ifstream in(pidfile);
  long pid = 0;
  if (!(in >> pid) || pid <= 0 || pid > 1 << 22) return 0;
  return static_cast<int>(pid);
}

bool process_has_arg(int pid, const std::string& marker) {
  if (pid <= 0) return false;
  // Reap it if it is our own exited child (the driver spawned it in this process).
  ::waitpid(pid, nullptr, WNOHANG);
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  auto close = line.rfind(')');
  if (close == std::string::npos || close + 2 >= line.size() || line[close + 2] == 'Z') return false;
  std::ifstream cmd("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  auto name = std::filesystem::path(marker).filename();
  std::string arg;
  while (std::getline(cmd, arg, '\0')) {
    if (arg == marker) return true;
    // The same file spelled differently (the store reached through a symlink, "//", "..").
    std::error_code ec;
    if (!name.empty() && std::filesystem::path(arg).filename() == name &&
        std::filesystem::equivalent(arg, marker, ec))
      return true;
  }
  return false;
}

std::optional<std::chrono::system_clock::time_point> host_boot_time() {
  std::ifstream in("/proc/stat");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("btime ", 0) == 0)
      return std::chrono::system_clock::time_point(std::chrono::seconds(std::stoll(line.substr(6))));
  }
  return std::nullopt;
}

VmObservation observe(const std::filesystem::path& dir) {
  namespace mf = machine::machine_files;
  VmObservation o;
  auto pidfile = dir / std::string(mf::kPidFile);
  std::error_code ec;
  o.pidfile_present = std::filesystem::exists(pidfile, ec);
  if (o.pidfile_present) {
    o.pid = read_pidfile(pidfile);
    auto written = mtime(pidfile);
    auto boot = host_boot_time();
    if (written && boot) o.pidfile_predates_boot = *written < *boot;
    if (written)
      o.pidfile_age =
          std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now() - *written);
    o.process_is_ours = process_has_arg(o.pid, pidfile.string());
  }
  if (o.process_is_ours) {
    try {
      QmpClient qmp(dir / std::string(mf::kQmpSocket), std::chrono::seconds(2));
      o.qmp_status = qmp.execute("query-status").value("status", "");
    } catch (const Error& e) {
      o.qmp_error = e.what();
    }
  } else {
    o.vm_log = common::read_file_tail(dir / std::string(mf::kVmLog), 8 * 1024);
  }
  {
    o.serial_tail =
        common::last_lines(common::read_file_tail(dir / std::string(mf::kSerialLog), 8 * 1024), 10);
  }
  return o;
}

}  // namespace machine::drivers::qemu
