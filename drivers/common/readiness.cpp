#include "drivers/common/readiness.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <optional>
#include <thread>

#include "drivers/common/console.h"
#include "machine/cancel.h"
#include "machine/error.h"

namespace machine::drivers::common {
using Clock = std::chrono::steady_clock;

int ms_until(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

bool ssh_banner_ready(int port, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = false;
  int r = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  if (r == 0 || errno == EINPROGRESS) {
    std::string got;
    while (got.size() < 4) {
      pollfd p{fd, POLLIN, 0};
      int n = ::poll(&p, 1, ms_until(deadline));
      if (n <= 0) break;
      char buf[256];
      ssize_t k = ::recv(fd, buf, sizeof buf, 0);
      if (k < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (k <= 0) break;
      got.append(buf, static_cast<size_t>(k));
    }
    ok = got.rfind("SSH-", 0) == 0;
  }
  ::close(fd);
  return ok;
}

bool process_alive(int pid) {
  if (pid <= 0) return false;
  int status = 0;
  if (::waitpid(pid, &status, WNOHANG) == pid) return false;
  if (::kill(pid, 0) != 0 && errno == ESRCH) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  auto close = line.rfind(')');
  return !(close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z');
}

void wait_until_ready(const BootWatch& w, Progress& progress, std::chrono::seconds timeout) {
  auto deadline = Clock::now() + timeout;
  std::string console;
  std::optional<Clock::time_point> reachable_at;  // booted and reachable
  while (Clock::now() < deadline) {
    throw_if_cancelled();
    console = w.console();
    w.check_running(console);
    bool machine_os = w.expects_marker(console);
    bool booted = !machine_os || boot_done(console);
    if (booted && !reachable_at && w.reachable()) reachable_at = Clock::now();
    if (reachable_at) {
      if (!w.cloud_init_host_keys) return;
      auto since = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - *reachable_at);
      if (host_key_wait(console, machine_os, since) != HostKeyWait::Wait) return;
    }
    throw_if_cancelled();  // the probe may have taken its whole timeout
    progress.status(reachable_at ? "waiting for cloud-init's SSH host keys"
                    : booted     ? "waiting for SSH"
                                 : "waiting for the guest to boot");
    if (w.sleep)
      w.sleep(kReadyPoll);
    else
      std::this_thread::sleep_for(kReadyPoll);
  }
  fail(Code::Unavailable, fmt::format("machine '{}' was not ready within {} s; last console lines:\n{}",
                                      w.machine, timeout.count(), last_lines(console, 15)));
}

}  // namespace machine::drivers::common
