// `machine scp` through the system scp (provisioner/ssh/scp_external.h): which requests it
// carries, the argv it builds, and real copies with OpenSSH's scp against a real sshd on
// 127.0.0.1 (tests/provisioner/ssh/local_sshd.h), host key pinned.
#include "provisioner/ssh/scp_external.h"

#include <gmock/gmock.h>

#include "machine/run_attached.h"
#include "tests/provisioner/ssh/sshd_fixture.h"

namespace machine::ssh {
namespace {

namespace fs = std::filesystem;
using machine::testing::random_bytes;
using machine::testing::read_file;
using machine::testing::write_file;
using ::testing::ElementsAre;

SshEndpoint endpoint(const std::string& host = "127.0.0.1") {
  return SshEndpoint{host, 2222, "docker", "/s/machines/vm1/id_ed25519", "/s/machines/vm1/known_hosts"};
}

// The argv from "--" on (the options before it are external_ssh_options, tested with ssh).
std::vector<std::string> operands(const std::vector<std::string>& argv) {
  auto dd = std::find(argv.begin(), argv.end(), "--");
  return {dd, argv.end()};
}

TEST(ScpExternal, CarriesRequestsOnOneMachineOnly) {
  EXPECT_EQ(external_scp_machine(parse_scp_args({"a.txt", "vm1:/tmp/"})), "vm1");
  EXPECT_EQ(external_scp_machine(parse_scp_args({"-r", "vm1:src", "vm1:dst"})), "vm1");
  EXPECT_EQ(external_scp_machine(parse_scp_args({"vm1:a", "vm2:b"})), std::nullopt) << "two machines";
  EXPECT_EQ(external_scp_machine(parse_scp_args({"root@vm1:a", "vm1:b"})), std::nullopt) << "two users";
  EXPECT_EQ(external_scp_machine(parse_scp_args({"-d", "dir", "vm1:dir"})), std::nullopt)
      << "delta is native";
  EXPECT_EQ(external_scp_machine(parse_scp_args({"a", "b"})), std::nullopt) << "local to local";
}

TEST(ScpExternal, ArgvPinsTheMachineAndEndsOptionsBeforePaths) {
  auto argv =
      external_scp_argv("/usr/bin/scp", parse_scp_args({"-r", "-q", "src", "vm1:/tmp/x"}), endpoint());
  EXPECT_EQ(argv.front(), "/usr/bin/scp");
  auto has = [&](const std::vector<std::string>& seq) {
    return std::search(argv.begin(), argv.end(), seq.begin(), seq.end()) != argv.end();
  };
  EXPECT_TRUE(has({"-o", "StrictHostKeyChecking=yes"}));
  EXPECT_TRUE(has({"-o", "UserKnownHostsFile=/s/machines/vm1/known_hosts"}));
  EXPECT_TRUE(has({"-i", "/s/machines/vm1/id_ed25519"}));
  EXPECT_TRUE(has({"-F", "/dev/null"}));
  EXPECT_TRUE(has({"-P", "2222", "-3", "-r", "-q", "--"}));
  EXPECT_THAT(operands(argv), ElementsAre("--", "src", "docker@127.0.0.1:/tmp/x"));
}

TEST(ScpExternal, LocalPathsScpWouldReadAsRemoteStayLocal) {
  auto argv = external_scp_argv("scp", parse_scp_args({"./a:b", "/abs/c:d", "vm1:"}), endpoint());
  // "./a:b" parses as local and is passed on as written; a bare "a:b" would name a machine.
  EXPECT_THAT(operands(argv), ElementsAre("--", "./a:b", "/abs/c:d", "docker@127.0.0.1:"));
  ScpRequest r;
  r.sources = {ScpLocation{"", "", "x:y"}};
  r.destination = ScpLocation{"vm1", "root", "~/in"};
  EXPECT_THAT(operands(external_scp_argv("scp", r, endpoint("::1"))),
              ElementsAre("--", "./x:y", "root@[::1]:~/in"));
}

class ScpExternalSshd : public machine::testing::SshdTest {
 protected:
  // Runs the system scp for `args` (as `machine scp` would get them) against the local sshd.
  int scp(const std::vector<std::string>& args, const SshEndpoint& ep) {
    auto argv = external_scp_argv("/usr/bin/scp", parse_scp_args(args), ep);
    return run_attached(Command{argv[0], {argv.begin() + 1, argv.end()}});
  }
  std::string remote(const fs::path& p) { return "vm1:" + p.string(); }
};

TEST_F(ScpExternalSshd, CopiesADirectoryUpAndBack) {
  if (!fs::exists("/usr/bin/scp")) GTEST_SKIP() << "needs openssh-client's scp";
  auto src = dir_.path() / "src dir";
  fs::create_directories(src / "sub");
  write_file(src / "big.bin", random_bytes(3 << 20, 7));
  write_file(src / "sub/a:b.txt", "colon\n");
  auto there = dir_.path() / "remote";
  ASSERT_EQ(scp({"-r", "-q", src.string(), remote(there)}, sshd_->endpoint()), 0);
  auto back = dir_.path() / "back";
  ASSERT_EQ(scp({"-r", "-q", remote(there), back.string()}, sshd_->endpoint()), 0);
  EXPECT_EQ(read_file(back / "big.bin"), read_file(src / "big.bin"));
  EXPECT_EQ(read_file(back / "sub/a:b.txt"), "colon\n");
}

TEST_F(ScpExternalSshd, AnUnpinnedHostKeyIsRefused) {
  if (!fs::exists("/usr/bin/scp")) GTEST_SKIP() << "needs openssh-client's scp";
  write_file(dir_.path() / "f", "x");
  auto ep = sshd_->endpoint();
  write_file(dir_.path() / "other_known_hosts", "");
  ep.known_hosts = dir_.path() / "other_known_hosts";
  EXPECT_NE(scp({"-q", (dir_.path() / "f").string(), remote(dir_.path() / "g")}, ep), 0);
  EXPECT_FALSE(fs::exists(dir_.path() / "g"));
  // Refused by the client before authenticating, not by a server that went away.
  EXPECT_THAT(sshd_->log(), ::testing::Not(::testing::HasSubstr("Accepted publickey")));
  EXPECT_EQ(scp({"-q", (dir_.path() / "f").string(), remote(dir_.path() / "g")}, sshd_->endpoint()), 0);
  EXPECT_THAT(sshd_->log(), ::testing::HasSubstr("Accepted publickey"));
}

}  // namespace
}  // namespace machine::ssh
