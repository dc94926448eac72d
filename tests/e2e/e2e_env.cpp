#include "tests/e2e/e2e_env.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace machine::e2e {

namespace {

// Seconds one step may take before it is ended and reported: MACHINE_E2E_STEP_TIMEOUT, or
// 480 (a create under heavy load takes ~300). A hung step then fails with what it was
// waiting for, instead of running into CTest's timeout for the whole suite.
int step_timeout_seconds() {
  const char* v = std::getenv("MACHINE_E2E_STEP_TIMEOUT");
  int s = v ? std::atoi(v) : 0;
  return s > 0 ? s : 480;
}

// The processes of session `sid` (the step and what it started without detaching), with
// their state and kernel wait channel, for the report of a step that hung.
std::string session_processes(pid_t sid) {
  std::string out;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    const auto name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    pid_t pid = std::atoi(name.c_str());
    if (::getsid(pid) != sid) continue;
    std::ifstream cl(e.path() / "cmdline", std::ios::binary), wc(e.path() / "wchan");
    std::string cmd((std::istreambuf_iterator<char>(cl)), {}), wchan;
    std::getline(wc, wchan);
    for (auto& c : cmd)
      if (c == '\0') c = ' ';
    out += "  " + name + " [" + wchan + "] " + cmd + "\n";
  }
  return out;
}

}  // namespace

Result sh(const std::string& command_line, const std::vector<std::string>& env) {
  std::string full;
  for (const auto& e : env) full += "export " + e + "; ";
  full += "exec 2>&1; " + command_line;
  Result r;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return r;
  pid_t pid = ::fork();
  if (pid < 0) return r;
  if (pid == 0) {
    ::setsid();  // its own session: a timeout ends the step and everything it started
    ::dup2(fds[1], 1);
    ::execl("/bin/sh", "sh", "-c", full.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(step_timeout_seconds());
  bool timed_out = false;
  std::array<char, 4096> buf{};
  for (;;) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    ssize_t got = ::read(fds[0], buf.data(), buf.size());
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;  // EOF: every writer is gone
    r.out.append(buf.data(), static_cast<size_t>(got));
  }
  if (timed_out) {
    r.out += "\n[e2e] step still running after " + std::to_string(step_timeout_seconds()) +
             " s, ended: " + command_line + "\n[e2e] its processes:\n" + session_processes(pid);
    ::kill(-pid, SIGKILL);
  }
  ::close(fds[0]);
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  r.status = timed_out ? -2 : WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

Store::Store() {
  // Share the run's prebuilt image read-only: a symlink to its cache directory.
  const char* shared = std::getenv("MACHINE_TEST_IMAGE_CACHE");
  std::filesystem::path cache = shared ? shared : "/var/tmp/machine-test-cache";
  std::filesystem::create_directories(cache);
  std::filesystem::create_directory_symlink(cache, dir_.path() / "cache");
  std::filesystem::create_directories(docker_config());
  std::filesystem::create_directories(home());
}

Store::~Store() {
  // Remove every machine this store still has, so no VM outlives the test.
  sh(binary() + " -s " + dir_.path().string() + " ls -q | xargs -r " + binary() + " -s " +
     dir_.path().string() + " rm -f -y");
}

std::string Store::binary() const {
  const char* b = std::getenv("MACHINE_BINARY");
  return b ? b : "machine";
}

Result Store::machine(const std::string& args) const {
  return sh(
      binary() + " -s " + dir_.path().string() + " " + args,
      {"DOCKER_CONFIG=" + docker_config(), "MACHINE_STORAGE_PATH=" + dir_.path().string(), "HOME=" + home()});
}

Result Store::with_env(const std::string& name, const std::string& script) const {
  return sh("eval \"$(" + binary() + " -s " + dir_.path().string() + " env " + name + ")\" && " + script,
            {"DOCKER_CONFIG=" + docker_config(), "SHELL=/bin/bash"});
}

bool qemu_running_with(const std::string& needle) {
  return sh("pgrep -af qemu-system | grep -F -- '" + needle + "' | grep -v pgrep").status == 0;
}

std::filesystem::path busybox_tar(const std::filesystem::path& dir) {
  auto root = dir / "busybox-root";
  auto tar = dir / "busybox.tar";
  sh("mkdir -p " + root.string() + "/bin && cp /bin/busybox " + root.string() +
     "/bin/ && for a in sh echo cat uname; do ln -sf busybox " + root.string() + "/bin/$a; done && tar -C " +
     root.string() + " -cf " + tar.string() + " .");
  return tar;
}

std::string sha256_file(const std::filesystem::path& p) {
  auto r = sh("sha256sum '" + p.string() + "' | cut -d' ' -f1");
  return r.out;
}

}  // namespace machine::e2e
