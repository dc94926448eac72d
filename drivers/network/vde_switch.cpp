#include "drivers/network/vde_switch.h"

#include <fmt/format.h>
#include <signal.h>

#include <fstream>
#include <iterator>
#include <thread>

#include "machine/error.h"

namespace machine::drivers::network {
namespace {
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kProgram = "vde_switch";
constexpr const char* kPackage = "vde2";

bool proc_has_arg(int pid, const std::string& needle) {
  std::ifstream in(fmt::format("/proc/{}/cmdline", pid), std::ios::binary);
  if (!in) return false;
  std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::size_t start = 0;
  while (start < cmdline.size()) {
    auto end = cmdline.find('\0', start);
    if (end == std::string::npos) end = cmdline.size();
    if (cmdline.compare(start, end - start, needle) == 0) return true;
    start = end + 1;
  }
  return false;
}

}  // namespace

VdeSwitch::VdeSwitch(ProcessRunner& runner, std::filesystem::path dir, SwitchOptions options)
    : runner_(runner), dir_(std::move(dir)), options_(std::move(options)) {
  if (!options_.is_process_with_arg) options_.is_process_with_arg = proc_has_arg;
  if (!options_.signal) options_.signal = [](int pid, int sig) { ::kill(pid, sig); };
}

int VdeSwitch::pid() const {
  std::ifstream in(pid_file());
  int pid = 0;
  if (!(in >> pid) || pid <= 0) return 0;
  return options_.is_process_with_arg(pid, socket_dir().string()) ? pid : 0;
}

bool VdeSwitch::running() const { return pid() > 0 && std::filesystem::exists(socket_dir() / "ctl"); }

void VdeSwitch::ensure_running(const std::string& tap) {
  if (running()) return;
  stop();  // a switch without its control socket is of no use; leftovers block a new one
  auto ctl = (socket_dir() / "ctl").string();
  // QEMU's ports are sockets next to ctl with names as long ("001.5" and the like).
  if (ctl.size() > kMaxSocketPath)
    fail(Code::FailedPrecondition,
         fmt::format("the switch socket path {} is longer than unix sockets allow ({} bytes); use a shorter "
                     "storage path (-s or MACHINE_STORAGE_PATH)",
                     ctl, kMaxSocketPath));
  require_program(runner_, kProgram, kPackage);
  std::filesystem::create_directories(dir_);
  // -d: daemonize (its console would otherwise quit on stdin's EOF); without -t it has no
  // tap, so nothing on the host's network changes. Sockets are 0600 in a 0700 directory.
  // The tap is not persistent: it disappears when the switch exits.
  Command cmd{kProgram, {"-s", socket_dir().string(), "-p", pid_file().string(), "-d"}};
  if (!tap.empty()) cmd.args.insert(cmd.args.end(), {"-t", tap});
  cmd.timeout = 10s;
  run_checked(runner_, cmd, "vde_switch");
  auto deadline = Clock::now() + options_.start_timeout;
  while (!running()) {
    if (Clock::now() > deadline)
      fail(Code::Unavailable,
           fmt::format("vde_switch did not create {} within {} ms", ctl, options_.start_timeout.count()));
    std::this_thread::sleep_for(10ms);
  }
}

void VdeSwitch::stop() {
  if (int p = pid(); p > 0) {
    options_.signal(p, SIGTERM);  // the switch removes its own sockets and pid file
    auto deadline = Clock::now() + options_.stop_timeout;
    while (options_.is_process_with_arg(p, socket_dir().string()) && Clock::now() < deadline)
      std::this_thread::sleep_for(10ms);
    if (options_.is_process_with_arg(p, socket_dir().string())) {
      options_.signal(p, SIGKILL);
      std::this_thread::sleep_for(50ms);
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(socket_dir(), ec);
  std::filesystem::remove(pid_file(), ec);
}

}  // namespace machine::drivers::network
