// Accelerator choice: KVM only when it really works, the OS's own hypervisor elsewhere,
// TCG with a notice otherwise; explicit requests the host cannot honour fail early.
#include "drivers/common/accel.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "machine/error.h"

namespace machine::drivers {
namespace {

HostVirt linux_host(bool usable, bool pvm) {
  HostVirt h;
  h.os = "linux";
  h.kvm_usable = usable;
  h.kvm_paravirtual = pvm;
  if (!usable) h.kvm_problem = "cannot open /dev/kvm: No such file or directory";
  if (usable && pvm) h.kvm_problem = "/dev/kvm is paravirtual KVM (kvm_pvm), which cannot boot stock kernels";
  return h;
}

TEST(Accel, NamesRoundTrip) {
  for (auto a : {Accel::Auto, Accel::Kvm, Accel::Hvf, Accel::Whpx, Accel::Tcg})
    EXPECT_EQ(parse_accel(accel_name(a)), a);
  EXPECT_THROW(parse_accel("xen"), Error);
}

TEST(Accel, AutoUsesWorkingKvm) {
  auto c = choose_accel(Accel::Auto, linux_host(true, false));
  EXPECT_EQ(c.accel, Accel::Kvm);
  EXPECT_TRUE(c.notice.empty());
}

TEST(Accel, AutoAvoidsParavirtualKvmAndSaysWhy) {
  auto c = choose_accel(Accel::Auto, linux_host(true, true));
  EXPECT_EQ(c.accel, Accel::Tcg);
  EXPECT_NE(c.notice.find("kvm_pvm"), std::string::npos) << c.notice;
  EXPECT_EQ(c.notice.find('\n'), std::string::npos) << "the notice is one line";
}

TEST(Accel, AutoFallsBackToTcgWithoutKvm) {
  auto c = choose_accel(Accel::Auto, linux_host(false, false));
  EXPECT_EQ(c.accel, Accel::Tcg);
  EXPECT_NE(c.notice.find("/dev/kvm"), std::string::npos) << c.notice;
}

TEST(Accel, AutoUsesHvfOnMacAndWhpxOnWindows) {
  HostVirt mac{"darwin", false, false, "KVM is Linux only"};
  HostVirt win{"windows", false, false, "KVM is Linux only"};
  EXPECT_EQ(choose_accel(Accel::Auto, mac).accel, Accel::Hvf);
  EXPECT_EQ(choose_accel(Accel::Auto, win).accel, Accel::Whpx);
}

TEST(Accel, ExplicitRequestsTheHostCannotHonourFail) {
  auto expect_precondition = [](Accel a, const HostVirt& h) {
    try {
      choose_accel(a, h);
      ADD_FAILURE() << "expected an error for " << accel_name(a);
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Code::FailedPrecondition);
    }
  };
  expect_precondition(Accel::Kvm, linux_host(false, false));
  expect_precondition(Accel::Hvf, linux_host(true, false));
  expect_precondition(Accel::Whpx, linux_host(true, false));
}

TEST(Accel, ExplicitKvmIsHonouredEvenWhenParavirtual) {
  EXPECT_EQ(choose_accel(Accel::Kvm, linux_host(true, true)).accel, Accel::Kvm);
  EXPECT_EQ(choose_accel(Accel::Tcg, linux_host(true, false)).accel, Accel::Tcg);
}

TEST(Accel, ProbeSeesThisHostsParavirtualKvm) {
  auto h = probe_host_virt();
  EXPECT_EQ(h.os, "linux");
  EXPECT_EQ(h.kvm_paravirtual, std::filesystem::exists("/sys/module/kvm_pvm"));
  if (h.kvm_paravirtual) {
    EXPECT_EQ(choose_accel(Accel::Auto, h).accel, Accel::Tcg);
  }
  if (!h.kvm_usable) {
    EXPECT_FALSE(h.kvm_problem.empty());
  }
}

}  // namespace
}  // namespace machine::drivers
