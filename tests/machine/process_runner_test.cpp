#include "machine/process_runner.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <thread>

#include "machine/error.h"
#include "machine/run_attached.h"
#include "tests/support/temp_dir.h"

namespace machine {
namespace {
using namespace std::chrono_literals;

TEST(ProcessRunner, CapturesOutputAndExitCode) {
  auto r = make_system_process_runner();
  auto res = r->run({"sh", {"-c", "echo out; echo err >&2; exit 3"}});
  EXPECT_EQ(res.exit_code, 3);
  EXPECT_EQ(res.out, "out\n");
  EXPECT_EQ(res.err, "err\n");
  EXPECT_FALSE(res.ok());
}

TEST(ProcessRunner, FeedsStdinAndEnv) {
  auto r = make_system_process_runner();
  Command c{"sh", {"-c", "cat; echo $FOO"}};
  c.stdin_data = "in-data\n";
  c.env["FOO"] = "bar";
  auto res = r->run(c);
  EXPECT_EQ(res.out, "in-data\nbar\n");
}

TEST(ProcessRunner, InputToAChildThatExitsUnreadDoesNotKillTheCaller) {
  auto r = make_system_process_runner();
  Command c{"true", {}};
  c.stdin_data = std::string(1 << 20, 'x');  // more than a pipe holds: the write must hit EPIPE
  for (int i = 0; i < 20; ++i) EXPECT_EQ(r->run(c).exit_code, 0);  // a SIGPIPE would end this process
  // ...and children still get SIGPIPE's default action, as shell pipelines expect.
  auto res = r->run({"sh", {"-c", "grep SigIgn /proc/self/status"}});
  unsigned long long ignored = std::stoull(res.out.substr(res.out.find(':') + 1), nullptr, 16);
  EXPECT_EQ(ignored & (1ull << (SIGPIPE - 1)), 0u) << res.out;
}

TEST(ProcessRunner, ChildrenInheritNoStrayDescriptors) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);  // without O_CLOEXEC: would leak into children
  auto r = make_system_process_runner();
  auto res = r->run({"sh", {"-c", "ls /proc/self/fd | wc -l"}});
  ::close(fds[0]);
  ::close(fds[1]);
  // stdin, stdout, stderr and the directory ls reads.
  EXPECT_EQ(res.out, "4\n");
}

TEST(ProcessRunner, KillsOnTimeout) {
  auto r = make_system_process_runner();
  Command c{"sleep", {"30"}};
  c.timeout = 300ms;
  auto start = std::chrono::steady_clock::now();
  auto res = r->run(c);
  EXPECT_TRUE(res.timed_out);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST(ProcessRunner, MissingProgramIsNotFound) {
  auto r = make_system_process_runner();
  try {
    r->run({"definitely-not-a-program-xyz", {}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::NotFound);
  }
}

TEST(ProcessRunner, RunCheckedErrorCarriesCommandStatusAndStderr) {
  auto r = make_system_process_runner();
  try {
    run_checked(*r, {"sh", {"-c", "echo boom >&2; exit 2"}}, "frobnicate");
    FAIL();
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("frobnicate failed"), std::string::npos) << m;
    EXPECT_NE(m.find("sh -c"), std::string::npos) << m;
    EXPECT_NE(m.find("status 2"), std::string::npos) << m;
    EXPECT_NE(m.find("boom"), std::string::npos) << m;
  }
}

TEST(ProcessRunner, RequireProgramNamesDebianPackage) {
  auto r = make_system_process_runner();
  try {
    require_program(*r, "no-such-tool-abc", "abc-tools");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::FailedPrecondition);
    EXPECT_NE(std::string(e.what()).find("apt-get install abc-tools"), std::string::npos);
  }
}

TEST(ProcessRunner, RunAttachedReturnsTheChildStatus) {
  EXPECT_EQ(run_attached(Command{"sh", {"-c", "exit 7"}}), 7);
  EXPECT_EQ(run_attached(Command{"sh", {"-c", "kill -TERM $$"}}), 128 + 15);
  try {
    run_attached(Command{"/nonexistent/ssh", {}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::NotFound);
  }
}

TEST(ProcessRunner, RunAttachedGivesTheChildTheDescriptorsAndEnvironment) {
  machine::testing::TempDir tmp;
  auto out = tmp / "out";
  int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  Command c{"sh", {"-c", "echo \"$GREETING\"; echo err >&2; ls /proc/self/fd | wc -l"}};
  c.env["GREETING"] = "hello";
  EXPECT_EQ(run_attached(c, 0, fd, fd), 0);
  ::close(fd);
  std::ifstream in(out);
  std::string greeting, err, fds;
  std::getline(in, greeting);
  std::getline(in, err);
  std::getline(in, fds);
  EXPECT_EQ(greeting, "hello");
  EXPECT_EQ(err, "err");
  EXPECT_EQ(fds, "4") << "stdin, stdout, stderr and ls's own directory descriptor only";
}

TEST(ProcessRunner, SpawnDetachedOutlivesAndLogs) {
  testing::TempDir tmp;
  auto r = make_system_process_runner();
  int pid = r->spawn_detached({"sh", {"-c", "echo started; sleep 30"}}, tmp / "log");
  ASSERT_GT(pid, 0);
  for (int i = 0; i < 100 && testing::read_file(tmp / "log").empty(); ++i) std::this_thread::sleep_for(20ms);
  EXPECT_EQ(testing::read_file(tmp / "log"), "started\n");
  EXPECT_EQ(::getsid(pid), pid) << "runs in its own session";
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

TEST(ProcessRunner, SpawnDetachedReturnsAfterTheExec) {
  testing::TempDir tmp;
  auto r = make_system_process_runner();
  for (int i = 0; i < 20; ++i) {
    int pid = r->spawn_detached({"sh", {"-c", "sleep 30", tmp.path().string()}}, {});
    // No wait: the command line is already the child's own, not a copy of ours.
    std::string cmdline = testing::read_file("/proc/" + std::to_string(pid) + "/cmdline");
    EXPECT_NE(cmdline.find(tmp.path().string()), std::string::npos) << i;
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
}

TEST(ProcessRunner, SpawnDetachedReportsAWorkingDirThatCannotBeEntered) {
  auto r = make_system_process_runner();
  Command c{"sleep", {"30"}};
  c.working_dir = "/nonexistent/dir";
  EXPECT_THROW(r->spawn_detached(c, {}), Error);
}

}  // namespace
}  // namespace machine
