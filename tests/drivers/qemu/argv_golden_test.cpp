// The QEMU command line for every accelerator and option combination, pinned by golden
// files (tests/drivers/qemu/golden/<case>.args, one argument per line, machine dir = /MACHINE).
// Regenerate with MACHINE_UPDATE_GOLDEN=1 after an intended change, and review the diff.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "drivers/qemu/qemu_argv.h"
#include "tests/support/golden.h"

namespace machine::drivers::qemu {
namespace {

std::filesystem::path golden_dir() {
  return std::filesystem::path(MACHINE_SOURCE_DIR) / "tests/drivers/qemu/golden";
}

VmSpec base_spec() {
  VmSpec s;
  s.name = "vm1";
  s.dir = "/MACHINE";
  s.accel = Accel::Tcg;
  s.kernel = "/CACHE/vmlinuz";
  s.initrd = "/CACHE/initrd.img";
  s.kernel_cmdline = "console=ttyS0 root=LABEL=machine-root ro quiet";
  s.ssh_port = 40022;
  s.engine_port = 40376;
  return s;
}

void expect_golden(const std::string& name, const VmSpec& spec) {
  std::string got;
  for (const auto& a : build_qemu_args(spec)) got += a + "\n";
  machine::testing::expect_golden_file(golden_dir() / (name + ".args"), got);
}

TEST(QemuArgv, TcgIsMultiThreadedWithCpuMax) { expect_golden("tcg", base_spec()); }

// Host folders over virtiofs: guest RAM from a shared memfd, one vhost-user-fs per share.
TEST(QemuArgv, VirtiofsSharesUseASharedMemfdAndOneDevicePerShare) {
  auto s = base_spec();
  s.virtiofs = {{"mount0", "/home/u", "/MACHINE/mounts/virtiofs-0.sock"},
                {"mount1", "/data", "/MACHINE/mounts/virtiofs-1.sock"}};
  expect_golden("virtiofs", s);
}

TEST(QemuArgv, KvmUsesHostCpu) {
  auto s = base_spec();
  s.accel = Accel::Kvm;
  expect_golden("kvm", s);
}

TEST(QemuArgv, HvfUsesHostCpu) {
  auto s = base_spec();
  s.accel = Accel::Hvf;
  expect_golden("hvf", s);
}

TEST(QemuArgv, WhpxUsesCpuMax) {
  auto s = base_spec();
  s.accel = Accel::Whpx;
  expect_golden("whpx", s);
}

TEST(QemuArgv, RestrictedNetworkAddsRestrictOn) {
  auto s = base_spec();
  s.restrict_network = true;
  expect_golden("tcg_restricted", s);
}

TEST(QemuArgv, MemoryAndCpusAreHonoured) {
  auto s = base_spec();
  s.memory_mb = 4096;
  s.cpus = 4;
  s.accel = Accel::Kvm;
  s.restrict_network = true;
  expect_golden("kvm_4cpu_4096mb_restricted", s);
}

TEST(QemuArgv, StockCloudImageBootsFromDisk) {
  auto s = base_spec();
  s.kernel.clear();
  s.initrd.clear();
  s.kernel_cmdline.clear();
  expect_golden("cloud_image", s);
}

TEST(QemuArgv, PrivateNicIsASecondNicAfterTheUserNic) {
  auto s = base_spec();
  s.restrict_network = true;
  s.private_nic = PrivateNic{"socket,mcast=230.0.0.1:1234,localaddr=127.0.0.1", "52:54:00:12:34:56"};
  expect_golden("private_nic", s);
}

TEST(QemuArgv, CommasInPathsAreEscaped) {
  auto s = base_spec();
  s.dir = "/home/a,b/machines/vm1";
  expect_golden("comma_path", s);
}

TEST(QemuArgv, EveryHostForwardIsBoundToLoopback) {
  for (bool restrict : {false, true}) {
    auto s = base_spec();
    s.restrict_network = restrict;
    auto args = build_qemu_args(s);
    for (size_t i = 0; i + 1 < args.size(); ++i) {
      if (args[i] != "-netdev") continue;
      std::string v = args[i + 1];
      for (size_t p = v.find("hostfwd="); p != std::string::npos; p = v.find("hostfwd=", p + 1))
        EXPECT_EQ(v.compare(p, 22, "hostfwd=tcp:127.0.0.1:"), 0) << v;
    }
  }
}

}  // namespace
}  // namespace machine::drivers::qemu
