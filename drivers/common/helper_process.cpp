#include "drivers/common/helper_process.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
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

std::string cmdline_of(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/cmdline", std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

int start_helper(ProcessRunner& runner, const Command& cmd, const std::filesystem::path& pidfile,
                 const std::filesystem::path& log) {
  int pid = runner.spawn_detached(cmd, log);
  fs::write_file_atomic(pidfile, std::to_string(pid) + "\n", 0600);
  // Until the child has exec'd, its command line is still ours, so live_helper() would not
  // recognise it yet: wait (briefly) for the exec, or for its end.
  const auto self = cmdline_of("self");
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (alive(pid) && cmdline_of(std::to_string(pid)) == self && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(2ms);
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
