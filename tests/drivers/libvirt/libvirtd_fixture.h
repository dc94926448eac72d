#pragma once
// Real-VM harness for the libvirt driver: a libvirtd (and virtlogd) started as managed
// daemons when none runs (no systemd here) and stopped by pid afterwards, a storage pool
// of the test's own, an sshd on 127.0.0.1 for qemu+ssh:// URIs, and the machine OS image.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "machine/process_runner.h"
#include "tests/support/temp_dir.h"

namespace machine::drivers::libvirt_test {

// Starts virtlogd and libvirtd unless qemu:///system already answers; the destructor ends
// only the daemons it started. They run in a mount namespace of their own where the test's
// temp dir stands in for /etc/libvirt (config: QEMU as root, logs into the temp dir, no
// networks defined, so no `default` network can start), for /var/log and, when the host has
// no libvirt-qemu user, for /etc/passwd and /etc/group (copies naming one): they need no
// libvirt-daemon-system package and no /var/log/libvirt, and leave no configuration on the
// host.
class Libvirtd {
 public:
  explicit Libvirtd(ProcessRunner& runner);
  ~Libvirtd();
  bool started_by_us() const { return !pids_.empty(); }

 private:
  std::string logs() const;  // the daemons' own logs, for failure messages

  ProcessRunner& runner_;
  machine::testing::TempDir dir_;
  std::vector<int> pids_;
};

// A directory pool "machine-e2e-<pid>" deleted with every volume in it at the end.
class TestPool {
 public:
  TestPool();
  ~TestPool();
  const std::string& name() const { return name_; }
  std::vector<std::string> volumes() const;  // names currently in the pool

 private:
  std::string name_;
  std::filesystem::path dir_;
};

// An sshd on 127.0.0.1:<free port> with its own host key, letting in root with `key()`.
// Everything lives in `dir`, which goes with it.
class LoopbackSshd {
 public:
  LoopbackSshd(ProcessRunner& runner, const std::filesystem::path& dir);
  ~LoopbackSshd();
  int port() const { return port_; }
  std::filesystem::path key() const { return dir_ / "client_key"; }
  std::filesystem::path known_hosts() const { return dir_ / "known_hosts"; }
  // A `command=` wrapper running ssh pinned to known_hosts() (libvirt's ssh transport
  // has no known_hosts parameter of its own).
  std::filesystem::path ssh_wrapper() const { return dir_ / "pinned-ssh"; }

 private:
  ProcessRunner& runner_;
  std::filesystem::path dir_;
  int port_ = 0;
  int pid_ = 0;
};

// A complete machine OS image dir: $MACHINE_TEST_IMAGE_DIR, else the newest one in the
// shared test cache ($MACHINE_TEST_IMAGE_CACHE, default /var/tmp/machine-test-cache).
std::optional<std::filesystem::path> machine_os_image_dir();

// Generates an ed25519 key pair at `path` (+ .pub); returns the public key line.
std::string make_ssh_key(ProcessRunner& runner, const std::filesystem::path& path);

}  // namespace machine::drivers::libvirt_test
