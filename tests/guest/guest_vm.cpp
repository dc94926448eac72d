#include "tests/guest/guest_vm.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "machine/error.h"

namespace machine::guest::testing {
namespace fs = std::filesystem;

fs::path test_image_cache_dir() {
  if (const char* env = std::getenv("MACHINE_TEST_IMAGE_CACHE"); env && *env) return env;
  return "/var/tmp/machine-test-cache";
}

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    fail(Code::Internal, "cannot bind a free port");
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

GuestVm::GuestVm(ProcessRunner& runner, const Image& image, const fs::path& dir, VmOptions opts)
    : runner_(runner),
      image_(image),
      dir_(dir),
      overlay_(dir / "overlay.qcow2"),
      serial_log_(dir / "serial.log"),
      qmp_socket_(dir / "qmp.sock"),
      pidfile_(dir / "qemu.pid"),
      opts_(std::move(opts)) {}

GuestVm::~GuestVm() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    for (int i = 0; i < 50 && running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void GuestVm::start() {
  run_checked(runner_,
              Command{"qemu-img",
                      {"create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", image_.disk.string(),
                       overlay_.string(), "20G"},
                      {},
                      std::nullopt,
                      std::chrono::seconds(60),
                      {}},
              "cannot create overlay");
  ssh_port_ = free_port();
  std::vector<std::string> args = {
      "-name",       "machine-guest-test",
      "-machine",    "q35",
      "-accel",      "tcg,thread=multi",
      "-cpu",        "max",
      "-smp",        "2",
      "-m",          "1024",
      "-nodefaults", "-display",
      "none",        "-no-user-config",
      "-drive",      "if=none,id=root,format=qcow2,file=" + overlay_.string(),
      "-device",     "virtio-blk-pci,drive=root",
      "-netdev",     "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:" + std::to_string(ssh_port_) + "-:22",
      "-device",     "virtio-net-pci,netdev=n0,romfile=",
      "-device",     "virtio-rng-pci",
      "-serial",     "file:" + serial_log_.string(),
      "-qmp",        "unix:" + qmp_socket_.string() + ",server=on,wait=off",
      "-pidfile",    pidfile_.string(),
      "-daemonize"};
  if (opts_.direct_kernel) {
    std::string cmdline = image_.kernel_cmdline();
    if (!opts_.extra_cmdline.empty()) cmdline += " " + opts_.extra_cmdline;
    args.insert(args.end(),
                {"-kernel", image_.kernel.string(), "-initrd", image_.initrd.string(), "-append", cmdline});
  }
  if (!opts_.private_mac.empty())
    args.insert(args.end(), {"-netdev", "user,id=n1,restrict=on", "-device",
                             "virtio-net-pci,netdev=n1,romfile=,mac=" + opts_.private_mac});
  if (!opts_.dhcp_mac.empty())
    args.insert(args.end(), {"-netdev", "user,id=n2,restrict=on,net=10.0.5.0/24", "-device",
                             "virtio-net-pci,netdev=n2,romfile=,mac=" + opts_.dhcp_mac});
  if (opts_.seed_iso)
    args.insert(args.end(),
                {"-drive", "if=none,id=seed,format=raw,readonly=on,file=" + opts_.seed_iso->string(),
                 "-device", "virtio-blk-pci,drive=seed"});
  run_checked(runner_, Command{"qemu-system-x86_64", args, {}, std::nullopt, std::chrono::seconds(60), {}},
              "cannot start qemu");
  std::ifstream pf(pidfile_);
  pf >> pid_;
  if (pid_ <= 0) fail(Code::Internal, "qemu wrote no pidfile");
}

bool GuestVm::running() const { return pid_ > 0 && ::kill(pid_, 0) == 0; }

std::string GuestVm::serial() const {
  std::ifstream in(serial_log_, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

bool GuestVm::wait_for_serial(const std::string& marker, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::istringstream lines(serial());
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line == marker) return true;
    }
    if (!running()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

std::vector<std::string> GuestVm::host_keys() const {
  std::vector<std::string> keys;
  std::istringstream lines(serial());
  const std::string prefix = "machine-hostkey: ";
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind(prefix, 0) == 0) keys.push_back(line.substr(prefix.size()));
  }
  return keys;
}

bool GuestVm::power_down(std::chrono::seconds timeout) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, qmp_socket_.c_str(), sizeof addr.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return false;
  }
  const std::string cmds = "{\"execute\":\"qmp_capabilities\"}\n{\"execute\":\"system_powerdown\"}\n";
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  (void)!::write(fd, cmds.data(), cmds.size());
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ::close(fd);
  return !running();
}

}  // namespace machine::guest::testing
