// The transports' command lines (pure, pinned here) and the helper-process bookkeeping
// (real processes: a helper is found, signalled and reaped only while it is ours).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "drivers/common/helper_process.h"
#include "drivers/common/mounts.h"
#include "drivers/common/reverse_sshfs.h"
#include "drivers/common/virtiofs.h"
#include "tests/support/temp_dir.h"

namespace machine::drivers::common {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::Not;

SshLogin login() { return {"127.0.0.1", 40022, "docker", "/M/id_ed25519", "/M/known_hosts"}; }

TEST(Virtiofs, SharesAreTaggedInOrderWithSocketsInTheMountsDir) {
  auto shares = virtiofs_shares("/M", {{"/home/u", "/home/u", false}, {"/data", "/mnt/d", true}});
  ASSERT_EQ(shares.size(), 2u);
  EXPECT_EQ(shares[0].tag, "mount0");
  EXPECT_EQ(shares[1].tag, "mount1");
  EXPECT_EQ(shares[1].host_dir, "/data");
  EXPECT_EQ(shares[1].socket, "/M/mounts/virtiofs-1.sock");
}

TEST(Virtiofs, VirtiofsdServesTheDirOnTheSocketInTheForeground) {
  auto c = virtiofsd_command("/usr/lib/qemu/virtiofsd", {"mount0", "/home/u", "/M/mounts/virtiofs-0.sock"});
  EXPECT_EQ(c.program, "/usr/lib/qemu/virtiofsd");
  EXPECT_THAT(c.args, ElementsAre("--socket-path=/M/mounts/virtiofs-0.sock", "-o", "source=/home/u", "-o",
                                  "cache=auto", "-f", "-o", "log_level=warn"));
}

TEST(Virtiofs, NoSharesAddNoQemuOptions) { EXPECT_TRUE(qemu_virtiofs_args(1024, {}).empty()); }

TEST(Virtiofs, QemuGetsASharedMemfdOfTheGuestSizeAndEscapedSocketPaths) {
  auto a = qemu_virtiofs_args(2048, {{"mount0", "/h", "/a,b/virtiofs-0.sock"}});
  EXPECT_THAT(a, ElementsAre("-object", "memory-backend-memfd,id=mem,size=2048M,share=on", "-numa",
                             "node,memdev=mem", "-chardev", "socket,id=fs0,path=/a,,b/virtiofs-0.sock",
                             "-device", "vhost-user-fs-pci,chardev=fs0,tag=mount0"));
}

TEST(ReverseSshfs, PipesSftpServerIntoGuestSshfsOverThePinnedLogin) {
  auto c = reverse_sshfs_command(login(), {"/home/u/my src", "/home/u/my src", false});
  EXPECT_EQ(c.program, "bash");
  std::vector<std::string> want{"-c",
                                "coproc SFTP { exec /usr/lib/openssh/sftp-server; }; "
                                "exec \"$@\" <&\"${SFTP[0]}\" >&\"${SFTP[1]}\"",
                                "reverse-sshfs",
                                "ssh",
                                "-F",
                                "/dev/null",
                                "-i",
                                "/M/id_ed25519",
                                "-p",
                                "40022",
                                "-o",
                                "IdentitiesOnly=yes",
                                "-o",
                                "UserKnownHostsFile=/M/known_hosts",
                                "-o",
                                "StrictHostKeyChecking=yes",
                                "-o",
                                "BatchMode=yes",
                                "-o",
                                "LogLevel=ERROR",
                                "-o",
                                "ServerAliveInterval=10",
                                "-o",
                                "ServerAliveCountMax=6",
                                "docker@127.0.0.1",
                                "sudo /usr/sbin/machine-mount sshfs '/home/u/my src' '/home/u/my src' rw"};
  EXPECT_THAT(c.args, ElementsAreArray(want));
  EXPECT_THAT(c.args, Not(Contains("StrictHostKeyChecking=no")));
}

TEST(ReverseSshfs, ReadOnlyMountsMakeSftpServerRefuseWrites) {
  auto c = reverse_sshfs_command(login(), {"/data", "/mnt/d", true});
  ASSERT_GE(c.args.size(), 3u);
  EXPECT_EQ(
      c.args[1],
      "coproc SFTP { exec /usr/lib/openssh/sftp-server -R; }; exec \"$@\" <&\"${SFTP[0]}\" >&\"${SFTP[1]}\"");
  EXPECT_EQ(c.args.back(), "sudo /usr/sbin/machine-mount sshfs '/data' '/mnt/d' ro");
}

TEST(GuestCommands, QuoteEveryPathForTheGuestShell) {
  Mount m{"/h", "/it's here", false};
  EXPECT_EQ(guest_virtiofs_command("mount0", m),
            "sudo /usr/sbin/machine-mount virtiofs 'mount0' '/it'\\''s here' rw");
}

TEST(HostSshfs, MountsTheMachineDirWithThePinnedKeyOnly) {
  auto c = host_sshfs_command(login(), "/tmp/d", "/local/d");
  EXPECT_EQ(c.program, "sshfs");
  EXPECT_THAT(c.args, ElementsAre("docker@127.0.0.1:/tmp/d", "/local/d", "-F", "/dev/null", "-p", "40022",
                                  "-o", "IdentityFile=/M/id_ed25519", "-o", "IdentitiesOnly=yes", "-o",
                                  "UserKnownHostsFile=/M/known_hosts", "-o", "StrictHostKeyChecking=yes",
                                  "-o", "BatchMode=yes", "-o", "LogLevel=ERROR"));
}

class Helpers : public ::testing::Test {
 protected:
  void TearDown() override {
    if (stranger_ > 0) {
      ::kill(stranger_, SIGKILL);
      ::waitpid(stranger_, nullptr, 0);
    }
  }
  machine::testing::TempDir tmp_;
  int stranger_ = 0;
};

TEST_F(Helpers, AHelperIsStoppedWithItsProcessGroupAndItsPidfileRemoved) {
  auto runner = make_system_process_runner();
  auto pidfile = tmp_ / "h.pid";
  // sh forks a child (sleep) into the helper's session: both must go.
  Command c{"sh", {"-c", "sleep 300 & wait", "--", tmp_.path().string()}};
  int pid = start_helper(*runner, c, pidfile, tmp_ / "h.log");
  // start_helper returns once the child has exec'd: it is recognised at once (the virtiofsd
  // start check runs right after it; before the exec the child carried our command line).
  EXPECT_EQ(live_helper(pidfile, tmp_.path().string()), pid);
  stop_helper(pidfile, tmp_.path().string());
  EXPECT_EQ(live_helper(pidfile, tmp_.path().string()), 0);
  EXPECT_FALSE(std::filesystem::exists(pidfile));
  ::waitpid(pid, nullptr, 0);  // our child: reap it; its own child is reaped by init
  bool group_gone = false;
  for (int i = 0; i < 100 && !group_gone; ++i, std::this_thread::sleep_for(std::chrono::milliseconds(20)))
    group_gone = ::kill(-pid, 0) != 0;
  EXPECT_TRUE(group_gone) << "a process of the helper's group survived";
}

TEST_F(Helpers, APidThatIsNotOursIsNeverSignalled) {
  stranger_ = ::fork();
  if (stranger_ == 0) {
    ::execlp("sleep", "sleep", "300", nullptr);
    ::_exit(127);
  }
  auto pidfile = tmp_ / "h.pid";
  machine::testing::write_file(pidfile, std::to_string(stranger_) + "\n");
  EXPECT_EQ(live_helper(pidfile, tmp_.path().string()), 0);
  stop_helper(pidfile, tmp_.path().string());
  EXPECT_EQ(::kill(stranger_, 0), 0) << "stop_helper signalled a process that is not ours";
  EXPECT_EQ(::waitpid(stranger_, nullptr, WNOHANG), 0);
}

}  // namespace
}  // namespace machine::drivers::common
