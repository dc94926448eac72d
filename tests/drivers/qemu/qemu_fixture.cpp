#include "tests/drivers/qemu/qemu_fixture.h"

#include <cstdlib>

#include "drivers/common/guest_image.h"
#include "drivers/qemu/vm_state.h"
#include "guest/image_cache.h"
#include "machine/error.h"
#include "machine/store.h"

namespace machine::drivers::qemu_test {

std::filesystem::path shared_image_cache() {
  const char* shared = std::getenv("MACHINE_TEST_IMAGE_CACHE");
  return std::filesystem::path(shared ? shared : "/var/tmp/machine-test-cache") / "store" / "cache";
}

TestStore::TestStore() {
  std::filesystem::create_directories(shared_image_cache());
  std::filesystem::create_directory_symlink(shared_image_cache(), dir_.path() / "cache");
  std::filesystem::create_directories(dir_.path() / "machines");
}

TestMachine::TestMachine(const TestStore& store, const std::string& name, FlagValues flags,
                         QemuDriverOptions options)
    : dir_(store.path() / "machines" / name),
      runner_(make_system_process_runner()),
      flags_(std::move(flags)) {
  std::filesystem::create_directories(dir_);
  flags_.set("qemu-restrict-network", {"true"});
  driver_ = std::make_unique<QemuDriver>(Context{name, dir_, store.path(), *runner_, progress_}, options);
}

TestMachine::~TestMachine() {
  try {
    driver_->remove();
  } catch (...) {
  }
}

void TestMachine::create() {
  driver_->configure(flags_);
  driver_->pre_create_check();
  driver_->prepare();
  CreateSpec spec;
  spec.hostname = dir_.filename().string();
  spec.ssh_public_key =
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl test";
  driver_->create(spec);
}

int TestMachine::pid() const { return qemu::read_pidfile(dir_ / std::string(machine_files::kPidFile)); }

std::filesystem::path blank_image(const std::filesystem::path& dir) {
  auto runner = make_system_process_runner();
  auto path = dir / "blank.qcow2";
  run_checked(*runner, Command{"qemu-img", {"create", "-q", "-f", "qcow2", path.string(), "64M"}},
              "qemu-img");
  return path;
}

std::optional<std::filesystem::path> machine_os_image() {
  if (const char* explicit_dir = std::getenv("MACHINE_TEST_IMAGE"))
    return std::filesystem::path(explicit_dir);
  auto runner = make_system_process_runner();
  // The store layout (scripts/test builds there) first, then the cache dir itself (where
  // guest tests build).
  for (const auto& dir : {shared_image_cache(), shared_image_cache().parent_path().parent_path()}) {
    guest::ImageCache cache(dir, *runner);
    if (auto img = cache.find_default()) return img->dir;
    auto all = cache.list();
    if (!all.empty()) return all.front().dir;
  }
  return std::nullopt;
}

}  // namespace machine::drivers::qemu_test
