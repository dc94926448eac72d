// VDE switch lifecycle: the exact command, idempotent start, leftovers of a dead switch,
// SIGTERM then SIGKILL, missing vde2 and over-long socket paths; then the same against the
// real vde_switch (a user-space process with unix sockets only, no host interface).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <fstream>
#include <iterator>

#include "drivers/network/vde_switch.h"
#include "machine/error.h"
#include "tests/drivers/network/fake_switch.h"
#include "tests/support/fake_process_runner.h"
#include "tests/support/temp_dir.h"

namespace machine::drivers::network {
namespace {
using machine::testing::FakeProcessRunner;
using machine::testing::FakeSwitches;

class SwitchTest : public ::testing::Test {
 protected:
  VdeSwitch sw() { return VdeSwitch(runner, dir.path() / "net", switches.options()); }
  machine::testing::TempDir dir;
  FakeProcessRunner runner;
  FakeSwitches switches{runner};
};

TEST_F(SwitchTest, StartsDaemonizedWithSocketsAndPidInTheNetworkDir) {
  auto s = sw();
  EXPECT_FALSE(s.running());
  s.ensure_running();
  EXPECT_TRUE(s.running());
  auto net = (dir.path() / "net").string();
  ASSERT_EQ(runner.commands().size(), 1u);
  EXPECT_EQ(runner.commands()[0], "vde_switch -s " + net + "/switch -p " + net + "/switch.pid -d");
  auto raw = runner.raw_commands();
  for (const auto& a : raw[0].args) EXPECT_NE(a, "-t") << "never a tap on the host";
}

TEST_F(SwitchTest, EnsureRunningIsIdempotent) {
  sw().ensure_running();
  sw().ensure_running();
  EXPECT_EQ(runner.commands().size(), 1u);
  EXPECT_EQ(switches.alive.size(), 1u);
}

TEST_F(SwitchTest, StaleLeftoversOfADeadSwitchAreClearedBeforeStarting) {
  sw().ensure_running();
  switches.crash_all();  // sockets and pid file stay behind
  EXPECT_FALSE(sw().running());
  sw().ensure_running();
  EXPECT_EQ(runner.commands().size(), 2u);
  EXPECT_TRUE(sw().running());
  EXPECT_TRUE(switches.signals.empty()) << "a dead switch's pid is never signalled";
}

TEST_F(SwitchTest, APidFileNamingAStrangerIsNeverSignalled) {
  std::filesystem::create_directories(dir.path() / "net/switch");
  machine::testing::write_file(dir.path() / "net/switch.pid", "1\n");
  machine::testing::write_file(dir.path() / "net/switch/ctl", "");
  EXPECT_FALSE(sw().running());
  sw().stop();
  EXPECT_TRUE(switches.signals.empty());
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "net/switch"));
}

TEST_F(SwitchTest, StopTerminatesAndRemovesSocketsAndPidFile) {
  sw().ensure_running();
  sw().stop();
  EXPECT_EQ(switches.signals, std::vector<int>{SIGTERM});
  EXPECT_TRUE(switches.alive.empty());
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "net/switch"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "net/switch.pid"));
  EXPECT_NO_THROW(sw().stop());
}

TEST_F(SwitchTest, ASwitchIgnoringSigtermIsKilled) {
  sw().ensure_running();
  switches.ignore_term = true;
  sw().stop();
  EXPECT_EQ(switches.signals, (std::vector<int>{SIGTERM, SIGKILL}));
  EXPECT_TRUE(switches.alive.empty());
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "net/switch"));
}

TEST_F(SwitchTest, MissingVdeSwitchNamesTheDebianPackage) {
  FakeProcessRunner bare;
  VdeSwitch s(bare, dir.path() / "net", switches.options());
  try {
    s.ensure_running();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::FailedPrecondition);
    EXPECT_NE(std::string(e.what()).find("vde2"), std::string::npos) << e.what();
  }
}

TEST_F(SwitchTest, AFailingSwitchReportsItsStderr) {
  switches.fail_start = true;
  try {
    sw().ensure_running();
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot bind"), std::string::npos) << e.what();
  }
}

TEST_F(SwitchTest, OverLongSocketPathIsRefusedWithAHint) {
  VdeSwitch s(runner, dir.path() / std::string(120, 'n'), switches.options());
  try {
    s.ensure_running();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::FailedPrecondition);
    EXPECT_NE(std::string(e.what()).find("MACHINE_STORAGE_PATH"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(runner.commands().empty());
}

// The real vde_switch: starts, is found running by its pid file and /proc, keeps its
// sockets private, and leaves nothing behind when stopped.
TEST(RealVdeSwitch, StartsAndStopsLeavingNothing) {
  auto runner = make_system_process_runner();
  if (!runner->find_program("vde_switch")) GTEST_SKIP() << "vde_switch not installed (Debian package vde2)";
  machine::testing::TempDir dir;
  VdeSwitch s(*runner, dir.path() / "net");
  s.ensure_running();
  ASSERT_TRUE(s.running());
  struct stat st {};
  ASSERT_EQ(::stat((s.socket_dir() / "ctl").c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0077, 0u) << "no access for group or others";
  int pid = 0;
  std::ifstream(s.pid_file()) >> pid;
  ASSERT_GT(pid, 0);
  s.ensure_running();  // idempotent: still the same process
  int again = 0;
  std::ifstream(s.pid_file()) >> again;
  EXPECT_EQ(again, pid);
  s.stop();
  EXPECT_FALSE(s.running());
  EXPECT_FALSE(std::filesystem::exists(s.socket_dir()));
  EXPECT_FALSE(std::filesystem::exists(s.pid_file()));
  // A reaped or zombie process has no command line left.
  std::ifstream cmdline("/proc/" + std::to_string(pid) + "/cmdline");
  std::string text((std::istreambuf_iterator<char>(cmdline)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.find(s.socket_dir().string()), std::string::npos) << "vde_switch " << pid << " still runs";
}

}  // namespace
}  // namespace machine::drivers::network
