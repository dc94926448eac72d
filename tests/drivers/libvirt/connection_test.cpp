// The libvirt wrapper against test:///default (libvirt's built-in test hypervisor: the
// real API and XML code, no daemon, no VM; every connection starts from the same state).
#include "drivers/libvirt/connection.h"

#include <gtest/gtest.h>

#include "drivers/libvirt/domain_xml.h"
#include "drivers/libvirt/volumes.h"
#include "tests/support/temp_dir.h"

namespace machine::drivers::libvirt {
namespace {

constexpr const char* kPool = "default-pool";  // the test hypervisor's pool

std::string vm_xml(const std::string& name) {
  DomainSpec s;
  s.name = name;
  s.pool = kPool;
  s.disk_volume = name + ".qcow2";
  s.serial_log = "/tmp/" + name + ".log";
  s.user_net = {"127.0.0.1", 40022, 40376, true};
  return domain_xml(s);
}

template <typename F>
Error error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error thrown";
  return Error(Code::Internal, "");
}

TEST(Connection, UnreachableDaemonSaysHowToStartIt) {
  auto e = error_of([] { Connection c("qemu+unix:///system?socket=/nonexistent/libvirt-sock"); });
  EXPECT_EQ(e.code(), Code::Unavailable);
  EXPECT_NE(std::string(e.what()).find("cannot connect to libvirt at qemu+unix:///system"), std::string::npos)
      << e.what();
  auto e2 = error_of([] { Connection c("qemu:///system?socket=/nonexistent/libvirt-sock"); });
  EXPECT_NE(std::string(e2.what()).find("libvirtd -d"), std::string::npos) << e2.what();
}

TEST(Connection, DomainLifecycle) {
  Connection c("test:///default");
  EXPECT_FALSE(c.domain_exists("vm1"));
  EXPECT_FALSE(c.domain_state("vm1").has_value());
  c.define_domain("vm1", vm_xml("vm1"));
  EXPECT_TRUE(c.domain_exists("vm1"));
  EXPECT_EQ(c.domain_state("vm1")->state, VIR_DOMAIN_SHUTOFF);

  c.start_domain("vm1");
  EXPECT_EQ(c.domain_state("vm1")->state, VIR_DOMAIN_RUNNING);
  c.shutdown_domain("vm1");  // the test hypervisor powers off at once
  EXPECT_EQ(c.domain_state("vm1")->state, VIR_DOMAIN_SHUTOFF);

  c.start_domain("vm1");
  c.suspend_domain("vm1");
  EXPECT_EQ(c.domain_state("vm1")->state, VIR_DOMAIN_PAUSED);
  c.resume_domain("vm1");
  EXPECT_EQ(c.domain_state("vm1")->state, VIR_DOMAIN_RUNNING);
  c.destroy_domain("vm1");
  EXPECT_EQ(c.domain_state("vm1")->state, VIR_DOMAIN_SHUTOFF);
  c.destroy_domain("vm1");  // idempotent

  c.undefine_domain("vm1");
  EXPECT_FALSE(c.domain_exists("vm1"));
  c.undefine_domain("vm1");  // idempotent
}

TEST(Connection, ErrorsCarryContextAndCode) {
  Connection c("test:///default");
  auto e = error_of([&] { c.start_domain("ghost"); });
  EXPECT_EQ(e.code(), Code::NotFound);
  EXPECT_NE(std::string(e.what()).find("cannot start domain 'ghost': "), std::string::npos) << e.what();

  auto bad = error_of([&] { c.define_domain("vm1", "<domain type='qemu'><name>vm1</name>"); });
  EXPECT_NE(std::string(bad.what()).find("cannot define domain for 'vm1': "), std::string::npos)
      << bad.what();

  c.define_domain("vm1", vm_xml("vm1"));
  c.start_domain("vm1");
  auto twice = error_of([&] { c.start_domain("vm1"); });
  EXPECT_NE(std::string(twice.what()).find("cannot start domain 'vm1': "), std::string::npos) << twice.what();
}

TEST(Connection, VolumesAndOverlays) {
  Connection c("test:///default");
  ASSERT_TRUE(c.pool_exists(kPool));
  EXPECT_FALSE(c.pool_exists("nope"));
  c.ensure_pool(kPool);

  auto base = c.create_volume(kPool, "base.qcow2", volume_xml({"base.qcow2", 1 << 20, "raw", ""}));
  EXPECT_EQ(base.path, "/default-pool/base.qcow2");
  auto overlay = create_overlay(c, kPool, "vm1.qcow2", base.path, 20000ull << 20);
  EXPECT_EQ(overlay.capacity, 20000ull << 20);
  ASSERT_TRUE(c.volume_info(kPool, "vm1.qcow2"));

  auto dup = error_of([&] { c.create_volume(kPool, "vm1.qcow2", volume_xml({"vm1.qcow2", 1, "raw", ""})); });
  EXPECT_NE(std::string(dup.what()).find("cannot create volume 'vm1.qcow2' in pool 'default-pool'"),
            std::string::npos)
      << dup.what();

  c.delete_volume(kPool, "vm1.qcow2");
  EXPECT_FALSE(c.volume_info(kPool, "vm1.qcow2"));
  c.delete_volume(kPool, "vm1.qcow2");   // idempotent
  c.delete_volume("no-such-pool", "x");  // idempotent too
}

TEST(Volumes, UploadedOnceThenReused) {
  Connection c("test:///default");
  machine::testing::TempDir tmp;
  machine::testing::write_file(tmp / "disk.qcow2", "not really qcow2");
  auto name = base_volume_name(tmp / "disk.qcow2", "disk.qcow2");
  EXPECT_EQ(name.rfind("machineos-", 0), 0u);
  EXPECT_EQ(name, base_volume_name(tmp / "disk.qcow2", "disk.qcow2")) << "stable for an unchanged file";

  // A complete upload (volume + marker) is reused without uploading again, which the test
  // hypervisor could not do.
  c.create_volume(kPool, name, volume_xml({name, 16, "raw", ""}));
  c.create_volume(kPool, upload_marker_name(name), volume_xml({upload_marker_name(name), 0, "raw", ""}));
  EXPECT_EQ(ensure_uploaded(c, kPool, name, tmp / "disk.qcow2").path, "/default-pool/" + name);
}

TEST(Volumes, TornUploadIsRedoneAndFailureLeavesNothing) {
  Connection c("test:///default");
  machine::testing::TempDir tmp;
  machine::testing::write_file(tmp / "vmlinuz", "kernel");
  auto name = base_volume_name(tmp / "vmlinuz", "vmlinuz");
  c.create_volume(kPool, name, volume_xml({name, 3, "raw", ""}));  // no marker: torn
  // The test hypervisor cannot upload: the redo fails with libvirt's reason, in context.
  auto e = error_of([&] { ensure_uploaded(c, kPool, name, tmp / "vmlinuz"); });
  EXPECT_NE(std::string(e.what()).find("cannot upload"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("not supported"), std::string::npos) << e.what();
  EXPECT_FALSE(c.volume_info(kPool, name));
  EXPECT_FALSE(c.volume_info(kPool, upload_marker_name(name)));
}

TEST(Volumes, MissingPoolSaysHowToCreateIt) {
  Connection c("test:///default");
  auto e = error_of([&] { ensure_pool(c, "fast"); });
  EXPECT_EQ(e.code(), Code::FailedPrecondition);
  EXPECT_NE(std::string(e.what()).find("pool-define-as fast dir"), std::string::npos) << e.what();
}

TEST(Volumes, DefaultPoolGoesWhereVirtInstallPutsIt) {
  EXPECT_EQ(default_pool_dir("qemu:///system", "/root", ""), "/var/lib/libvirt/images");
  EXPECT_EQ(default_pool_dir("qemu+ssh://me@h/system", "/home/me", ""), "/var/lib/libvirt/images");
  EXPECT_EQ(default_pool_dir("qemu:///session", "/home/me", ""), "/home/me/.local/share/libvirt/images");
  EXPECT_EQ(default_pool_dir("qemu:///session", "/home/me", "/data"), "/data/libvirt/images");
  EXPECT_EQ(default_pool_dir("qemu+ssh://me@h/session", "/home/me", ""), "") << "the remote home is unknown";
  EXPECT_EQ(default_pool_dir("test:///default", "/home/me", ""), "");
}

TEST(Volumes, CheckPoolHasNoSideEffects) {
  Connection c("test:///default");
  EXPECT_THROW(check_pool(c, "default"), Error);  // test:///default has no conventional place
  check_pool(c, kPool);
  EXPECT_FALSE(c.pool_exists("default"));
}

TEST(Connection, NetworksAreOnlyLookedAt) {
  Connection c("test:///default");
  EXPECT_FALSE(c.network_active("no-such-net").has_value());
  EXPECT_TRUE(c.network_active("default").value_or(false));  // the test hypervisor's, not a host bridge
}

}  // namespace
}  // namespace machine::drivers::libvirt
