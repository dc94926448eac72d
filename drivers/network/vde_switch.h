#pragma once
// One VDE switch (Debian's vde2) per private network: a user-space Ethernet switch whose
// ports are unix sockets in its directory, so VMs share an L2 segment without any host
// interface, bridge or tap. Lifecycle only; the network store decides when to call it.
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>

#include "machine/process_runner.h"

namespace machine::drivers::network {

struct SwitchOptions {
  // Whether `pid` is alive and its command line mentions `needle` (never signal a stranger
  // that reused the pid). Default: /proc/<pid>/cmdline.
  std::function<bool(int pid, const std::string& needle)> is_process_with_arg;
  // Sends `sig` to `pid`. Default: ::kill.
  std::function<void(int pid, int sig)> signal;
  std::chrono::milliseconds start_timeout{5000};  // until the control socket appears
  std::chrono::milliseconds stop_timeout{5000};   // SIGTERM, then SIGKILL
  // Used by NetworkStore: whether to give a network's switch a host interface (a tap needs
  // CAP_NET_ADMIN; default: running as root), and the host's IPv4 routes in
  // /proc/net/route's format (default: that file), so tests never depend on the host's.
  std::function<bool()> host_interface_allowed;
  std::function<std::string()> route_table;
};

// The longest unix socket path (sun_path, minus its NUL) on Linux.
inline constexpr std::size_t kMaxSocketPath = 107;

class VdeSwitch {
 public:
  // `dir` is the network's directory: the switch's sockets go to dir/switch, its pid to
  // dir/switch.pid.
  VdeSwitch(ProcessRunner& runner, std::filesystem::path dir, SwitchOptions options = {});

  std::filesystem::path socket_dir() const { return dir_ / "switch"; }
  std::filesystem::path pid_file() const { return dir_ / "switch.pid"; }

  // Whether our switch process runs and its control socket exists.
  bool running() const;
  // Starts the switch unless it runs; clears a dead switch's leftovers first. Idempotent.
  // A non-empty `tap` asks the switch to attach that host tap (vde_switch -t); the switch
  // still runs when it cannot, so callers check the interface themselves.
  // Throws Error(FailedPrecondition) when vde_switch is missing (naming vde2) or the socket
  // path is too long, Error(Unavailable) when the switch does not come up.
  void ensure_running(const std::string& tap = "");
  // Stops the switch and removes its sockets and pid file. Idempotent.
  void stop();

 private:
  int pid() const;  // 0 when no pid file or not our switch

  ProcessRunner& runner_;
  std::filesystem::path dir_;
  SwitchOptions options_;
};

}  // namespace machine::drivers::network
