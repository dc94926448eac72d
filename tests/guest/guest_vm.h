#pragma once
// A machine OS VM for the guest e2e tests: QEMU TCG (q35, -cpu max), user networking with
// restrict=on and SSH forwarded on 127.0.0.1, serial console to a file, QMP on a unix
// socket. Stops (kills) QEMU in the destructor if a test left it running.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "guest/image.h"
#include "machine/process_runner.h"

namespace machine::guest::testing {

// The image the e2e tests share: MACHINE_TEST_IMAGE_CACHE (a cache dir, see ImageCache)
// or /var/tmp/machine-test-cache; built on first use.
std::filesystem::path test_image_cache_dir();

struct VmOptions {
  bool direct_kernel = true;  // -kernel/-initrd/-append; false: boot the disk alone
  std::optional<std::filesystem::path> seed_iso;
  std::string extra_cmdline;
  std::string private_mac;  // adds a second NIC (isolated user net) with this MAC
  std::string dhcp_mac;     // adds a NIC on another user net (10.0.5.0/24, QEMU's DHCP) with this MAC
};

class GuestVm {
 public:
  GuestVm(ProcessRunner& runner, const Image& image, const std::filesystem::path& dir, VmOptions opts);
  ~GuestVm();
  GuestVm(const GuestVm&) = delete;
  GuestVm& operator=(const GuestVm&) = delete;

  void start();
  // Waits until the serial log holds `marker` on a line of its own (or times out, false).
  bool wait_for_serial(const std::string& marker, std::chrono::seconds timeout);
  std::string serial() const;
  // "machine-hostkey: <type> <key>" lines as "<type> <key>".
  std::vector<std::string> host_keys() const;
  // system_powerdown over QMP, then waits for QEMU to exit. False on timeout.
  bool power_down(std::chrono::seconds timeout);
  bool running() const;

  int ssh_port() const { return ssh_port_; }
  const std::filesystem::path& overlay() const { return overlay_; }

 private:
  ProcessRunner& runner_;
  Image image_;
  std::filesystem::path dir_, overlay_, serial_log_, qmp_socket_, pidfile_;
  VmOptions opts_;
  int ssh_port_ = 0;
  int pid_ = 0;
};

// A free TCP port on 127.0.0.1.
int free_port();

}  // namespace machine::guest::testing
