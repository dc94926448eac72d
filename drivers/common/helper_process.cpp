#include "drivers/common/helper_process.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "machine/fs.h"

namespace machine::drivers::common {
namespace {
using namespace std::chrono_literals;

bool alive(int pid) {
  if (pid <= 0 || ::kill(pid, 0) != 0) return false;
  std::ifstream st("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(st, line);
  auto rp = line.rfind(')');
  return rp == std::string::npos || rp + 2 >= line.size() || line[rp + 2] != 'Z';  // zombies are gone
}

}  // namespace

int start_helper(ProcessRunner& runner, const Command& cmd, const std::filesystem::path& pidfile,
                 const std::filesystem::path& log) {
  int pid = runner.spawn_detached(cmd, log);
  fs::write_file_atomic(pidfile, std::to_string(pid) + "\n", 0600);
  // spawn_detached returns after the exec: live_helper() recognises the helper at once.
  return pid;
}

int live_helper(const std::filesystem::path& pidfile, const std::string& marker) {
  std::ifstream in(pidfile);
  int pid = 0;
  if (!(in >> pid) || !alive(pid)) return 0;
  std::ifstream cl("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string arg;
  while (std::getline(cl, arg, '\0'))
    if (arg.find(marker) != std::string::npos) return pid;
  return 0;
}

void stop_helper(const std::filesystem::path& pidfile, const std::string& marker) {
  if (int pid = live_helper(pidfile, marker)) {
    // spawn_detached made it a session (and group) leader: its children go with it.
    bool group = ::getpgid(pid) == pid;
    ::kill(group ? -pid : pid, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + 3s;
    while (alive(pid) && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(20ms);
    if (group)
      ::kill(-pid, SIGKILL);
    else if (alive(pid))
      ::kill(pid, SIGKILL);
  }
  std::error_code ec;
  std::filesystem::remove(pidfile, ec);
}

}  // namespace machine::drivers::common
