// Nothing is lost and nothing half-made is left: bad flags, failed pre-create checks, a
// failing boot and Ctrl-C during create all leave no machine directory and no VM.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "tests/e2e/e2e_env.h"

namespace machine::e2e {
namespace {
using namespace std::chrono_literals;

void expect_no_trace(const Store& s, const std::string& name) {
  EXPECT_FALSE(std::filesystem::exists(s.path() / "machines" / name)) << name << " directory left behind";
  EXPECT_FALSE(qemu_running_with((s.path() / "machines" / name).string()))
      << "VM of " << name << " still running";
  EXPECT_EQ(s.machine("ls -q").out, "");
}

TEST(CreateFailure, InvalidMemoryIsRejectedBeforeAnythingIsMade) {
  Store s;
  auto r = s.machine("create --qemu-memory 0 bad1");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("qemu-memory"), std::string::npos) << r.out;
  expect_no_trace(s, "bad1");
}

TEST(CreateFailure, FailedPreCreateCheckExitsThree) {
  Store s;
  auto r = s.machine("create --qemu-binary /nonexistent/qemu-system-x86_64 bad2");
  EXPECT_EQ(r.status, 3) << r.out;
  expect_no_trace(s, "bad2");
}

TEST(CreateFailure, CorruptImageRollsBackAfterTheMachineDirExists) {
  Store s;
  machine::testing::TempDir tmp;
  // A qcow2 whose backing file does not exist: QEMU cannot open it, which is found only
  // after the machine dir, certificates, keys and overlay were made.
  auto junk = tmp / "junk.qcow2";
  ASSERT_EQ(sh("qemu-img create -q -f qcow2 -u -b /nonexistent/base.qcow2 -F qcow2 " + junk.string() + " 1G")
                .status,
            0);
  auto r = s.machine("create --qemu-restrict-network --qemu-image " + junk.string() + " bad3");
  EXPECT_NE(r.status, 0) << r.out;
  expect_no_trace(s, "bad3");
}

// Ctrl-C while the QEMU driver waits for the guest to boot: the wait sees it on its next
// poll, and create rolls back (VM, machine dir, docker context) within 2 s.
TEST(CreateFailure, InterruptDuringBootRollsBackWithinTwoSeconds) {
  Store s;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setenv("DOCKER_CONFIG", s.docker_config().c_str(), 1);
    ::setenv("HOME", s.home().c_str(), 1);
    ::freopen("/dev/null", "w", stdout);
    ::execl(s.binary().c_str(), s.binary().c_str(), "-s", s.path().c_str(), "create",
            "--qemu-restrict-network", "intr", nullptr);
    ::_exit(127);
  }
  // QEMU answers QMP before the guest writes to its console, so once the serial log has
  // output, create is in the readiness wait (the guest takes many seconds to boot).
  auto serial = s.path() / "machines/intr/serial.log";
  auto console_started = [&] {
    std::error_code ec;
    auto size = std::filesystem::file_size(serial, ec);
    return !ec && size > 0;
  };
  for (int i = 0; i < 1200 && !console_started(); ++i) std::this_thread::sleep_for(100ms);
  if (!console_started()) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    FAIL() << "create never booted the VM";
  }
  EXPECT_TRUE(qemu_running_with((s.path() / "machines/intr").string())) << "the VM is not booting";
  auto t0 = std::chrono::steady_clock::now();
  ::kill(pid, SIGINT);
  int st = 0;
  ::waitpid(pid, &st, 0);
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(took, 2s) << "create took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                      << " ms to roll back after SIGINT";
  EXPECT_FALSE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << "interrupted create must fail";
  expect_no_trace(s, "intr");
  auto contexts = sh("docker context ls -q", {"DOCKER_CONFIG=" + s.docker_config()});
  EXPECT_EQ(contexts.status, 0) << contexts.out;
  EXPECT_EQ(contexts.out.find("intr"), std::string::npos) << "docker context left behind: " << contexts.out;
}

}  // namespace
}  // namespace machine::e2e
