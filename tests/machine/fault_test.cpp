// machine/fault.h and machine/fault_hooks.h: a fault point does nothing until the test build's
// hook is installed (so the installed binary, which never installs it, ignores
// MACHINE_FAULT_POINT); once installed it raises the named signal once, at the named point only.
#include "machine/fault.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <cstdlib>

#include "machine/fault_hooks.h"

namespace machine {
namespace {

volatile sig_atomic_t g_hups = 0;
void count_hup(int) { g_hups = g_hups + 1; }

class FaultPoint : public ::testing::Test {
 protected:
  void SetUp() override {
    g_hups = 0;
    struct sigaction sa {};
    sa.sa_handler = count_hup;
    ::sigemptyset(&sa.sa_mask);
    ASSERT_EQ(::sigaction(SIGHUP, &sa, &old_), 0);
  }
  void TearDown() override {
    set_fault_hook(nullptr);
    ::unsetenv("MACHINE_FAULT_POINT");
    ::sigaction(SIGHUP, &old_, nullptr);
  }
  struct sigaction old_ {};
};

TEST_F(FaultPoint, WithoutTheHookTheEnvironmentIsIgnored) {
  ::setenv("MACHINE_FAULT_POINT", "unit-point:HUP", 1);
  fault_point("unit-point");
  EXPECT_EQ(g_hups, 0);
  EXPECT_NE(std::getenv("MACHINE_FAULT_POINT"), nullptr);
}

TEST_F(FaultPoint, TheHookRaisesTheSignalOnceAtItsPointOnly) {
  ::setenv("MACHINE_FAULT_POINT", "unit-point:HUP", 1);
  install_env_fault_hook();
  fault_point("other-point");
  fault_point("unit-point-2");
  EXPECT_EQ(g_hups, 0);
  fault_point("unit-point");
  EXPECT_EQ(g_hups, 1);
  EXPECT_EQ(std::getenv("MACHINE_FAULT_POINT"), nullptr) << "helpers started later would inherit it";
  fault_point("unit-point");
  EXPECT_EQ(g_hups, 1);
}

TEST_F(FaultPoint, AnUnknownSignalNameDoesNothing) {
  ::setenv("MACHINE_FAULT_POINT", "unit-point:USR1", 1);
  install_env_fault_hook();
  fault_point("unit-point");
  EXPECT_EQ(g_hups, 0);
}

}  // namespace
}  // namespace machine
