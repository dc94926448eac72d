#pragma once
// Driver-level harness for real QEMU runs: a private store (its image cache linked to
// the run's shared prebuilt image, MACHINE_TEST_IMAGE_CACHE) and machines driven through
// the Driver interface, removed (VM killed, files deleted) when the test ends.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "drivers/qemu/qemu_driver.h"
#include "machine/process_runner.h"
#include "machine/progress.h"
#include "tests/support/temp_dir.h"

namespace machine::drivers::qemu_test {

// $MACHINE_TEST_IMAGE_CACHE/store/cache (default /var/tmp/machine-test-cache/...).
std::filesystem::path shared_image_cache();

class TestStore {
 public:
  TestStore();
  const std::filesystem::path& path() const { return dir_.path(); }

 private:
  machine::testing::TempDir dir_;
};

class TestMachine {
 public:
  // `flags` are create flags; --qemu-restrict-network is always on (network rule).
  TestMachine(const TestStore& store, const std::string& name, FlagValues flags = {},
              QemuDriverOptions options = {});
  ~TestMachine();  // remove(): no VM or file outlives the test
  TestMachine(const TestMachine&) = delete;
  TestMachine& operator=(const TestMachine&) = delete;

  QemuDriver& driver() { return *driver_; }
  const std::filesystem::path& dir() const { return dir_; }
  // configure, pre_create_check, prepare, create (which boots).
  void create();
  // qemu's pid from the pidfile (0 when none).
  int pid() const;

 private:
  std::filesystem::path dir_;
  std::unique_ptr<ProcessRunner> runner_;
  NullProgress progress_;
  std::unique_ptr<QemuDriver> driver_;
  FlagValues flags_;
};

// A blank qcow2 "stock image" (no OS: SeaBIOS finds nothing to boot and idles), for
// tests of the VM lifecycle that do not need a guest.
std::filesystem::path blank_image(const std::filesystem::path& dir);

// The machine OS image dir to boot: $MACHINE_TEST_IMAGE if set, else this build's image
// in the shared cache, else the newest complete one there. nullopt: tests needing a
// guest skip.
std::optional<std::filesystem::path> machine_os_image();

}  // namespace machine::drivers::qemu_test
