// State mapping from observations, and observe() against real files and processes:
// a stale pidfile never reads as Running.
#include <gtest/gtest.h>
#include <sys/time.h>
#include <unistd.h>

#include <fstream>

#include "drivers/qemu/vm_state.h"
#include "tests/support/temp_dir.h"

namespace machine::drivers::qemu {
namespace {
using namespace std::chrono_literals;

VmObservation alive(std::optional<std::string> status) {
  VmObservation o;
  o.pidfile_present = true;
  o.pid = 123;
  o.process_is_ours = true;
  o.pidfile_age = 60s;
  o.qmp_status = std::move(status);
  return o;
}

TEST(QemuStateMapping, NoPidfileIsStopped) { EXPECT_EQ(map_state({}).state, State::Stopped); }

TEST(QemuStateMapping, RunningStatusIsRunning) {
  EXPECT_EQ(map_state(alive("running")).state, State::Running);
}

TEST(QemuStateMapping, PausedAndSuspendedArePaused) {
  EXPECT_EQ(map_state(alive("paused")).state, State::Paused);
  EXPECT_EQ(map_state(alive("suspended")).state, State::Paused);
}

TEST(QemuStateMapping, GuestPanicIsErrorWithConsoleLines) {
  auto o = alive("guest-panicked");
  o.serial_tail = "Kernel panic - not syncing: VFS";
  auto s = map_state(o);
  EXPECT_EQ(s.state, State::Error);
  EXPECT_NE(s.reason.find("guest-panicked"), std::string::npos) << s.reason;
  EXPECT_NE(s.reason.find("Kernel panic"), std::string::npos) << s.reason;
}

TEST(QemuStateMapping, SilentQmpRightAfterLaunchIsStarting) {
  auto o = alive(std::nullopt);
  o.pidfile_age = 1s;
  EXPECT_EQ(map_state(o).state, State::Starting);
}

TEST(QemuStateMapping, SilentQmpLaterIsError) {
  auto o = alive(std::nullopt);
  o.qmp_error = "QMP did not answer within 2000 ms";
  auto s = map_state(o);
  EXPECT_EQ(s.state, State::Error);
  EXPECT_NE(s.reason.find("did not answer"), std::string::npos);
}

TEST(QemuStateMapping, DeadQemuWithPidfileIsErrorWithItsLastWords) {
  VmObservation o;
  o.pidfile_present = true;
  o.pid = 77;
  o.vm_log =
      "qemu-system-x86_64: -netdev user: Could not set up host forwarding rule 'tcp:127.0.0.1:2222-:22'\n";
  auto s = map_state(o);
  EXPECT_EQ(s.state, State::Error);
  EXPECT_NE(s.reason.find("host forwarding rule"), std::string::npos) << s.reason;
}

TEST(QemuStateMapping, KilledQemuIsErrorSayingSo) {
  VmObservation o;
  o.pidfile_present = true;
  o.pid = 77;
  auto s = map_state(o);
  EXPECT_EQ(s.state, State::Error);
  EXPECT_NE(s.reason.find("exited unexpectedly"), std::string::npos) << s.reason;
}

TEST(QemuStateMapping, PidfileFromBeforeHostBootIsStopped) {
  VmObservation o;
  o.pidfile_present = true;
  o.pidfile_predates_boot = true;
  o.pid = 1;
  EXPECT_EQ(map_state(o).state, State::Stopped);
}

void set_mtime(const std::filesystem::path& p, std::chrono::system_clock::time_point t) {
  timeval tv[2]{};
  tv[0].tv_sec = tv[1].tv_sec = std::chrono::system_clock::to_time_t(t);
  ASSERT_EQ(::utimes(p.c_str(), tv), 0);
}

TEST(QemuObserve, NothingOnDiskIsStopped) {
  testing::TempDir dir;
  EXPECT_EQ(map_state(observe(dir.path())).state, State::Stopped);
}

TEST(QemuObserve, PidReusedByAnotherProcessAfterHostRebootIsStopped) {
  testing::TempDir dir;
  // Our own pid: alive, but its command line does not name this pidfile.
  testing::write_file(dir / "qemu.pid", std::to_string(::getpid()) + "\n");
  auto boot = host_boot_time();
  ASSERT_TRUE(boot);
  set_mtime(dir / "qemu.pid", *boot - 3600s);
  auto o = observe(dir.path());
  EXPECT_FALSE(o.process_is_ours);
  EXPECT_EQ(map_state(o).state, State::Stopped);
}

TEST(QemuObserve, PidReusedWithoutRebootIsNeverRunning) {
  testing::TempDir dir;
  testing::write_file(dir / "qemu.pid", std::to_string(::getpid()) + "\n");
  auto s = map_state(observe(dir.path()));
  EXPECT_NE(s.state, State::Running);
  EXPECT_EQ(s.state, State::Error);
}

TEST(QemuObserve, GarbagePidfileIsNotRunning) {
  testing::TempDir dir;
  testing::write_file(dir / "qemu.pid", "not a pid");
  EXPECT_NE(map_state(observe(dir.path())).state, State::Running);
}

TEST(QemuProcess, ProcessHasArgMatchesWholeArgumentsOnly) {
  std::ifstream cmd("/proc/self/cmdline");
  std::string argv0;
  std::getline(cmd, argv0, '\0');
  EXPECT_TRUE(process_has_arg(::getpid(), argv0));
  EXPECT_FALSE(process_has_arg(::getpid(), argv0.substr(0, argv0.size() - 1)));
  EXPECT_FALSE(process_has_arg(0, argv0));
}

}  // namespace
}  // namespace machine::drivers::qemu
