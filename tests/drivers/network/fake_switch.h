#pragma once
// A VDE switch in memory for logic tests: answers `vde_switch -s DIR -p PIDFILE -d` on a
// FakeProcessRunner by creating DIR/ctl and the pid file, and plays the process for the
// switch's liveness checks and signals (a SIGTERM cleans up as the real switch does).
#include <signal.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "drivers/network/vde_switch.h"
#include "tests/support/fake_process_runner.h"
#include "tests/support/temp_dir.h"

namespace machine::testing {

class FakeSwitches {
 public:
  explicit FakeSwitches(FakeProcessRunner& runner) {
    runner.on("vde_switch", [this](const Command& c) {
      std::string dir, pidfile;
      for (size_t i = 0; i + 1 < c.args.size(); ++i) {
        if (c.args[i] == "-s") dir = c.args[i + 1];
        if (c.args[i] == "-p") pidfile = c.args[i + 1];
      }
      if (fail_start) return fail_result(1, "vde_switch: cannot bind");
      std::filesystem::create_directories(dir);
      write_file(std::filesystem::path(dir) / "ctl", "");
      int pid = next_pid++;
      write_file(pidfile, std::to_string(pid) + "\n");
      alive[pid] = {dir, pidfile};
      return ok_result();
    });
  }

  drivers::network::SwitchOptions options() {
    drivers::network::SwitchOptions o;
    o.is_process_with_arg = [this](int pid, const std::string& needle) {
      auto it = alive.find(pid);
      return it != alive.end() && it->second.dir == needle;
    };
    o.signal = [this](int pid, int sig) {
      signals.push_back(sig);
      auto it = alive.find(pid);
      if (it == alive.end() || (sig == SIGTERM && ignore_term)) return;
      if (sig == SIGTERM) {  // the real switch removes its sockets and pid file
        std::filesystem::remove_all(it->second.dir);
        std::filesystem::remove(it->second.pidfile);
      }
      alive.erase(it);
    };
    // No host interface and no host routes unless a test asks: never the host's state.
    o.host_interface_allowed = [this] { return host_interface_allowed; };
    o.route_table = [this] { return route_table; };
    o.start_timeout = std::chrono::milliseconds(200);
    o.stop_timeout = std::chrono::milliseconds(100);
    return o;
  }

  // A switch that died without cleaning up (host reboot, SIGKILL).
  void crash_all() { alive.clear(); }

  struct Proc {
    std::string dir;
    std::string pidfile;
  };
  std::map<int, Proc> alive;
  std::vector<int> signals;
  bool ignore_term = false;
  bool fail_start = false;
  bool host_interface_allowed = false;
  std::string route_table;  // /proc/net/route's format
  int next_pid = 5000;
};

}  // namespace machine::testing
