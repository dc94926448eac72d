#pragma once
// What a QEMU machine's state is, from what can be observed: the pidfile, whether that
// pid is still our QEMU (/proc/<pid>/cmdline names our pidfile), QMP query-status, and
// QEMU's own log. The mapping is a pure function so every case is unit tested.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "drivers/driver.h"

namespace machine::drivers::qemu {

struct VmObservation {
  bool pidfile_present = false;
  bool pidfile_predates_boot = false;  // written before the host last booted
  std::chrono::seconds pidfile_age{0};
  int pid = 0;
  bool process_is_ours = false;           // pid alive and its cmdline names our pidfile
  std::optional<std::string> qmp_status;  // query-status "status"; nullopt: no answer
  std::string qmp_error;                  // why QMP did not answer
  std::string vm_log;                     // QEMU's stderr (vm.log), tail
  std::string serial_tail;                // last serial console lines
};

// Running, Paused, Starting (QEMU up, QMP not serving yet), Stopped, or Error with a
// reason. A stale pidfile (host rebooted, or the pid now belongs to someone else before
// the boot) is Stopped, never Running.
StateInfo map_state(const VmObservation& o);

// Seconds QEMU may take from launch until QMP answers before silence means Error.
inline constexpr std::chrono::seconds kQmpGrace{15};

// Reads a pidfile; 0 when absent or not a number.
int read_pidfile(const std::filesystem::path& pidfile);

// True when `pid` is a live (non-zombie) process whose command line contains `marker`
// as one argument, or a path to the same file (the pidfile path makes it ours and no
// other machine's, however the store path was spelled when it was launched).
bool process_has_arg(int pid, const std::string& marker);

// Host boot time (/proc/stat btime), or nullopt when unknown.
std::optional<std::chrono::system_clock::time_point> host_boot_time();

// Observes the machine in `dir` (pidfile, /proc, QMP with a short timeout, logs).
VmObservation observe(const std::filesystem::path& dir);

}  // namespace machine::drivers::qemu
