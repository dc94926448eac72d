// Domain, volume and pool XML pinned by golden files (tests/drivers/libvirt/golden/<case>.xml).
// Regenerate with MACHINE_UPDATE_GOLDEN=1 after an intended change, and review the diff.
#include "drivers/libvirt/domain_xml.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "drivers/libvirt/connection.h"
#include "tests/support/golden.h"

namespace machine::drivers::libvirt {
namespace {

std::filesystem::path golden_dir() {
  return std::filesystem::path(MACHINE_SOURCE_DIR) / "tests/drivers/libvirt/golden";
}

DomainSpec base_spec() {
  DomainSpec s;
  s.name = "vm1";
  s.uuid = "6f1d2c3b-4a59-4e68-8f7a-0b1c2d3e4f50";  // chosen in prepare(), recorded before create
  s.type = "qemu";
  s.memory_mb = 1024;
  s.cpus = 2;
  s.pool = "default";
  s.disk_volume = "vm1.qcow2";
  s.seed_volume = "vm1-seed.iso";
  s.kernel_path = "/var/lib/libvirt/images/machineos-0123456789ab-vmlinuz";
  s.initrd_path = "/var/lib/libvirt/images/machineos-0123456789ab-initrd.img";
  s.kernel_cmdline = "console=ttyS0 root=LABEL=machineos rw";
  s.serial_log = "/var/lib/libvirt/images/vm1-console.log";
  s.user_net = {"127.0.0.1", 40022, 40376, false};
  return s;
}

void expect_golden(const std::string& name, const std::string& got) {
  machine::testing::expect_golden_file(golden_dir() / (name + ".xml"), got);
}

TEST(DomainXml, TcgWithUserNetworkingAndKernelBoot) {
  expect_golden("tcg_user_net", domain_xml(base_spec()));
}

// Host folders over virtiofs: libvirt's own virtiofsd per share, guest RAM a shared memfd.
TEST(DomainXml, VirtiofsSharesWithSharedMemfd) {
  auto s = base_spec();
  s.filesystems = {{"mount0", "/home/u"}, {"mount1", "/data & more"}};
  s.virtiofsd = "/usr/lib/qemu/virtiofsd";
  expect_golden("tcg_virtiofs", domain_xml(s));
}

TEST(DomainXml, RestrictedUserNetworking) {
  auto s = base_spec();
  s.user_net.restrict = true;
  expect_golden("tcg_user_net_restricted", domain_xml(s));
}

TEST(DomainXml, KvmOnNamedNetworkBootingFromDisk) {
  auto s = base_spec();
  s.type = "kvm";
  s.kernel_path = s.initrd_path = s.kernel_cmdline = "";
  s.network = "machines";
  s.seed_volume = "";
  expect_golden("kvm_network_disk_boot", domain_xml(s));
}

TEST(DomainXml, PtyConsoleWhenNoLogFile) {
  auto s = base_spec();
  s.serial_log = "";
  auto x = domain_xml(s);
  EXPECT_NE(x.find("<serial type='pty'>"), std::string::npos) << x;
}

TEST(DomainXml, EscapesNamesAndPaths) {
  auto s = base_spec();
  s.name = "a<b>&'c\"";
  auto x = domain_xml(s);
  EXPECT_NE(x.find("<name>a&lt;b&gt;&amp;&apos;c&quot;</name>"), std::string::npos) << x;
}

TEST(DomainXml, UserNetworkingForwardsOnlyTheBindAddress) {
  auto x = domain_xml(base_spec());
  EXPECT_NE(x.find("hostfwd=tcp:127.0.0.1:40022-:22,hostfwd=tcp:127.0.0.1:40376-:2376"), std::string::npos)
      << x;
  EXPECT_NE(x.find("bus=pcie.0,addr=0x10"), std::string::npos);
  EXPECT_EQ(x.find("<interface"), std::string::npos) << "no libvirt-managed NIC with user networking";
}

TEST(VolumeXml, OverlayAndRawGolden) {
  expect_golden("volume_overlay",
                volume_xml({"vm1.qcow2", 20000ull << 20, "qcow2", "/pool/machineos-x-disk.qcow2"}));
  expect_golden("volume_raw", volume_xml({"vm1-seed.iso", 374784, "raw", ""}));
  expect_golden("pool_dir", dir_pool_xml("default", "/var/lib/libvirt/images"));
}

// What libvirt keeps of our document: the test hypervisor parses it with the real schema
// code and hands back its own XML.
TEST(DomainXml, RoundTripsThroughLibvirt) {
  Connection c("test:///default");
  auto s = base_spec();
  s.pool = "default-pool";
  EXPECT_EQ(c.define_domain("vm1", domain_xml(s)), s.uuid) << "libvirt picked another UUID than ours";
  auto back = c.domain_xml_desc("vm1");
  for (const char* want : {"<name>vm1</name>", "<memory unit='KiB'>1048576</memory>",
                           "<type arch='x86_64' machine='q35'>hvm</type>",
                           "<kernel>/var/lib/libvirt/images/machineos-0123456789ab-vmlinuz</kernel>",
                           "<cmdline>console=ttyS0 root=LABEL=machineos rw</cmdline>",
                           "<source pool='default-pool' volume='vm1.qcow2'/>",
                           "<source pool='default-pool' volume='vm1-seed.iso'/>",
                           "<source path='/var/lib/libvirt/images/vm1-console.log'/>", "<readonly/>"})
    EXPECT_NE(back.find(want), std::string::npos) << want << "\n" << back;
}

}  // namespace
}  // namespace machine::drivers::libvirt
