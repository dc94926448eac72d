// The libssh2 client against dropbear, the guest's SSH server (tests/provisioner/ssh/local_dropbear.h).
#include <gmock/gmock.h>
#include <pty.h>

#include <thread>

#include "machine/error.h"
#include "provisioner/ssh/ssh.h"
#include "tests/provisioner/ssh/local_dropbear.h"
#include "tests/provisioner/ssh/sshd_fixture.h"

namespace machine::ssh {
namespace {

using machine::testing::LocalDropbear;
using ::testing::HasSubstr;

class DropbearTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!LocalDropbear::supported()) GTEST_SKIP() << "needs root and dropbear (dropbear-bin)";
    server_ = std::make_unique<LocalDropbear>(dir_ / "dropbear");
  }
  void TearDown() override {
    if (HasFailure() && server_) std::cerr << "dropbear log:\n" << server_->log();
  }
  std::unique_ptr<SshSession> connect(SshOptions o = SshOptions{"vm1"}) {
    return client_->connect(server_->endpoint(), o);
  }

  machine::testing::TempDir dir_;
  std::unique_ptr<LocalDropbear> server_;
  std::unique_ptr<SshClient> client_ = make_libssh2_client();
};

TEST_F(DropbearTest, ExecReturnsExitStatusAndOutputs) {
  auto s = connect();
  auto r = s->run("echo out; echo err >&2; exit 5");
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
  for (int i = 0; i < 5; ++i) EXPECT_EQ(s->run("exit " + std::to_string(i)).exit_code, i);
  EXPECT_EQ(s->run("kill -9 $$").exit_code, 255);
}

TEST_F(DropbearTest, LargeStdinAndStdout) {
  auto s = connect();
  auto data = machine::testing::random_bytes(4 << 20, 11);
  auto r = s->run("sha256sum", data);
  EXPECT_EQ(r.out.substr(0, 64), machine::testing::sha256_hex(data));
  r = s->run("cat", data);  // 4 MiB back through dropbear's small default window
  EXPECT_EQ(r.out.size(), data.size());
  EXPECT_TRUE(r.out == data);
}

TEST_F(DropbearTest, HostKeyIsPinnedAndAMismatchRefused) {
  auto s = connect();
  EXPECT_EQ(s->host_key(), server_->host_key());
  auto ep = server_->endpoint();
  auto other = generate_key_pair(KeyType::Ed25519, "");
  write_known_hosts(ep.known_hosts, ep.host, ep.port,
                    {parse_host_key("ssh-ed25519", other.public_key.substr(12))});
  try {
    client_->connect(ep, SshOptions{"vm1"});
    FAIL() << "accepted a mismatched dropbear host key";
  } catch (const HostKeyError& e) {
    EXPECT_THAT(e.what(), HasSubstr(server_->host_key().fingerprint()));
  }
}

TEST_F(DropbearTest, KeepalivesDoNotDisturbACommand) {
  SshOptions o{"vm1"};
  o.keepalive_interval = std::chrono::seconds(1);
  auto s = connect(o);
  EXPECT_EQ(s->run("sleep 3; echo awake").out, "awake\n");
}

TEST_F(DropbearTest, PtyShell) {
  int master = -1, slave = -1;
  winsize ws{};
  ws.ws_row = 33;
  ws.ws_col = 101;
  ASSERT_EQ(::openpty(&master, &slave, nullptr, nullptr, &ws), 0);
  auto s = connect();
  std::string output;
  std::thread reader([&] {
    char buf[4096];
    ssize_t n;
    while ((n = ::read(master, buf, sizeof buf)) > 0) {
      output.append(buf, static_cast<size_t>(n));
      if (output.find("end") != std::string::npos) break;
    }
  });
  ShellOptions opts;
  opts.in_fd = opts.out_fd = opts.err_fd = slave;
  opts.command = "stty size; tty | grep -q /dev/pts && echo end; exit 3";
  int rc = s->shell(opts);
  reader.join();
  ::close(master);
  ::close(slave);
  EXPECT_EQ(rc, 3);
  EXPECT_THAT(output, HasSubstr("33 101"));
}

TEST_F(DropbearTest, WaitForSshSucceeds) {
  auto s = wait_for_ssh(*client_, server_->endpoint(), std::chrono::seconds(20), SshOptions{"vm1"});
  EXPECT_EQ(s->run("echo ok").out, "ok\n");
}

}  // namespace
}  // namespace machine::ssh
