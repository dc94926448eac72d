// Locating VBoxManage, its version, its machine-readable output and its error messages.
#include "drivers/virtualbox/vbox_manage.h"

#include <gtest/gtest.h>

#include "machine/error.h"
#include "tests/support/fake_process_runner.h"

namespace machine::drivers::virtualbox {
namespace {

using machine::testing::FakeProcessRunner;

TEST(VBoxManageVersion, ParsesReleaseAndDistributionBuilds) {
  auto v = parse_version("7.0.12r159484\n");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->major, 7);
  EXPECT_EQ(v->minor, 0);
  EXPECT_EQ(v->patch, 12);
  EXPECT_EQ(v->text, "7.0.12r159484");
  v = parse_version("6.1.38_Ubuntur153438\n");
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->at_least(6, 1, 28));
  EXPECT_FALSE(v->at_least(6, 1, 39));
}

TEST(VBoxManageVersion, SkipsKernelModuleWarningsBeforeTheVersion) {
  // VBoxManage 6.1.38 on Linux without the vboxdrv module loaded.
  auto v = parse_version(
      "WARNING: The character device /dev/vboxdrv does not exist.\n"
      "\t Please install the virtualbox-dkms package and the appropriate\n"
      "\t headers, most likely linux-headers-generic.\n\n"
      "\t You will not be able to start VMs until this problem is fixed.\n"
      "6.1.38_Ubuntur153438\n");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->major, 6);
}

TEST(VBoxManageVersion, RefusesVersionsBefore5WithDockerMachineMessage) {
  try {
    check_version("4.3.40r110317\n");
    FAIL() << "accepted 4.3";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::FailedPrecondition);
    EXPECT_STREQ(
        e.what(),
        "We support Virtualbox starting with version 5. Your VirtualBox install is \"4.3.40r110317\". "
        "Please upgrade at https://www.virtualbox.org");
  }
  EXPECT_THROW(check_version("garbage"), Error);
  EXPECT_EQ(check_version("5.0.0r101573").major, 5);
}

TEST(VBoxManageLocate, UsesPathOnUnix) {
  FakeProcessRunner runner;
  runner.provide("VBoxManage");
  EXPECT_TRUE(locate_vboxmanage(runner, {false, "", ""}).has_value());
  FakeProcessRunner empty;
  EXPECT_FALSE(locate_vboxmanage(empty, {false, "C:\\VBox", ""}).has_value());
}

TEST(VBoxManageLocate, PrefersInstallerVariablesOnWindows) {
  FakeProcessRunner runner;
  runner.provide("D:\\Oracle\\VirtualBox/VBoxManage.exe");
  runner.provide("VBoxManage");
  auto p = locate_vboxmanage(runner, {true, "", "D:\\Oracle\\VirtualBox"});
  ASSERT_TRUE(p);
  EXPECT_NE(p->string().find("D:\\Oracle\\VirtualBox"), std::string::npos) << p->string();
}

TEST(VBoxManageRun, MissingProgramGivesDockerMachineMessage) {
  FakeProcessRunner runner;
  VBoxManage vbm(runner, "");
  try {
    vbm.run({"list", "vms"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::FailedPrecondition);
    EXPECT_STREQ(e.what(),
                 "VBoxManage not found. Make sure VirtualBox is installed and VBoxManage is in the path");
  }
}

TEST(VBoxManageRun, ErrorCarriesCommandStatusAndStderr) {
  FakeProcessRunner runner;
  runner.on("VBoxManage", [](const Command&) {
    return machine::testing::fail_result(
        1, "VBoxManage: error: Could not find a registered machine named 'x'\n");
  });
  VBoxManage vbm(runner, "/usr/bin/VBoxManage");
  try {
    vbm.run({"showvminfo", "x", "--machinereadable"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "VBoxManage failed: `VBoxManage showvminfo x --machinereadable` exited with status 1: "
                 "VBoxManage: error: Could not find a registered machine named 'x'");
  }
}

TEST(VBoxManageRun, ErrorOnStderrWithStatusZeroIsAFailure) {
  // VBoxManage.exe sometimes exits 0 after "error: VT-x is not available" (docker-machine).
  FakeProcessRunner runner;
  runner.on("VBoxManage", [](const Command&) {
    return ProcessResult{0, "", "VBoxManage.exe: error: VT-x is not available (VERR_VMX_NO_VMX)\n", false};
  });
  VBoxManage vbm(runner, "VBoxManage");
  EXPECT_FALSE(vbm.try_run({"startvm", "x"}).ok());
}

TEST(VBoxManageRun, RetriesWhileTheObjectIsNotReady) {
  FakeProcessRunner runner;
  int calls = 0;
  runner.on("VBoxManage", [&](const Command&) {
    if (++calls < 3) return machine::testing::fail_result(1, "VBoxManage: error: The object is not ready\n");
    return machine::testing::ok_result("ok\n");
  });
  VBoxManage vbm(runner, "VBoxManage");
  EXPECT_EQ(vbm.run({"list", "vms"}).out, "ok\n");
  EXPECT_EQ(calls, 3);
}

TEST(MachineReadable, ParsesQuotedKeysValuesAndEqualsInValues) {
  // Excerpt of VBoxManage 7.0.12 `showvminfo default --machinereadable`.
  auto kv = parse_machine_readable(
      "name=\"default\"\n"
      "memory=1024\n"
      "VMState=\"poweroff\"\n"
      "\"SATA-1-0\"=\"/home/u/.docker/machine/machines/default/disk.vmdk\"\n"
      "Forwarding(0)=\"ssh,tcp,127.0.0.1,40111,,22\"\n"
      "description=\"a=b\"\n"
      "hostonlyadapter2=\"vboxnet0\"\r\n");
  EXPECT_EQ(kv["name"], "default");
  EXPECT_EQ(kv["memory"], "1024");
  EXPECT_EQ(kv["VMState"], "poweroff");
  EXPECT_EQ(kv["SATA-1-0"], "/home/u/.docker/machine/machines/default/disk.vmdk");
  EXPECT_EQ(kv["Forwarding(0)"], "ssh,tcp,127.0.0.1,40111,,22");
  EXPECT_EQ(kv["description"], "a=b");
  EXPECT_EQ(kv["hostonlyadapter2"], "vboxnet0");
}

TEST(MachineNotFound, RecognisesVBoxManageMessage) {
  EXPECT_TRUE(is_machine_not_found(
      "VBoxManage: error: Could not find a registered machine named 'default'\n"
      "VBoxManage: error: Details: code VBOX_E_OBJECT_NOT_FOUND (0x80bb0001), component VirtualBoxWrap, "
      "interface IVirtualBox, callee nsISupports\n"));
  EXPECT_FALSE(is_machine_not_found("VBoxManage: error: The object is not ready"));
}

}  // namespace
}  // namespace machine::drivers::virtualbox
