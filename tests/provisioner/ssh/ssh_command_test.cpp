// Pure parts of `machine ssh`: the system ssh command line and the backend choice.
#include "provisioner/ssh/ssh_command.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "machine/error.h"

namespace machine::ssh {
namespace {

class StubRunner final : public ProcessRunner {
 public:
  explicit StubRunner(bool has_ssh) : has_ssh_(has_ssh) {}
  ProcessResult run(const Command&) override { return {}; }
  int spawn_detached(const Command&, const std::filesystem::path&) override { return -1; }
  std::optional<std::filesystem::path> find_program(const std::string& name) override {
    if (name == "ssh" && has_ssh_) return "/usr/bin/ssh";
    return std::nullopt;
  }

 private:
  bool has_ssh_;
};

SshEndpoint endpoint() {
  return SshEndpoint{"127.0.0.1", 2222, "docker", "/s/machines/vm1/id_ed25519",
                     "/s/machines/vm1/known_hosts"};
}

TEST(SshCommand, ExternalArgvPinsHostKeyAndUsesOnlyTheMachineKey) {
  auto argv = external_ssh_argv("/usr/bin/ssh", endpoint(), {"ls", "-l", "/tmp"});
  std::vector<std::string> want{"/usr/bin/ssh",
                                "-F",
                                "/dev/null",
                                "-o",
                                "BatchMode=yes",
                                "-o",
                                "ConnectionAttempts=3",
                                "-o",
                                "ConnectTimeout=10",
                                "-o",
                                "ControlMaster=no",
                                "-o",
                                "ControlPath=none",
                                "-o",
                                "LogLevel=quiet",
                                "-o",
                                "PasswordAuthentication=no",
                                "-o",
                                "ServerAliveInterval=60",
                                "-o",
                                "StrictHostKeyChecking=yes",
                                "-o",
                                "CheckHostIP=no",
                                "-o",
                                "UserKnownHostsFile=/s/machines/vm1/known_hosts",
                                "-o",
                                "GlobalKnownHostsFile=/dev/null",
                                "-o",
                                "IdentitiesOnly=yes",
                                "-i",
                                "/s/machines/vm1/id_ed25519",
                                "-p",
                                "2222",
                                "-l",
                                "docker",
                                "127.0.0.1",
                                "ls",
                                "-l",
                                "/tmp"};
  EXPECT_EQ(argv, want);
}

TEST(SshCommand, ForceTtyAddsDashT) {
  auto argv = external_ssh_argv("ssh", endpoint(), {}, true);
  ASSERT_GE(argv.size(), 2u);
  EXPECT_EQ(argv[argv.size() - 2], "-t");
  EXPECT_EQ(argv.back(), "127.0.0.1");
}

TEST(SshCommand, ArgumentsFollowTheHostAsDockerMachinePassesThem) {
  auto argv = external_ssh_argv("ssh", endpoint(), {"-C", "echo foo"});
  ASSERT_GE(argv.size(), 3u);
  EXPECT_EQ(std::vector<std::string>(argv.end() - 3, argv.end()),
            (std::vector<std::string>{"127.0.0.1", "-C", "echo foo"}));
  EXPECT_EQ(std::find(argv.begin(), argv.end(), "--"), argv.end());
}

TEST(SshCommand, AHostThatLooksLikeAnOptionIsRefused) {
  auto ep = endpoint();
  ep.host = "-oProxyCommand=x";
  EXPECT_THROW(external_ssh_argv("ssh", ep, {}), Error);
}

TEST(SshCommand, DefaultsToTheSystemSshLikeDockerMachine) {
  StubRunner with(true), without(false);
  EXPECT_EQ(choose_ssh_backend(false, with), SshBackend::External);
  EXPECT_EQ(choose_ssh_backend(true, with), SshBackend::Native);
  EXPECT_EQ(choose_ssh_backend(false, without), SshBackend::Native);
}

TEST(SshCommand, RemoteCommandIsJoinedLikeSsh) {
  EXPECT_EQ(join_remote_command({"echo", "a b", "|", "wc", "-c"}), "echo a b | wc -c");
  EXPECT_EQ(join_remote_command({}), "");
}

TEST(SshCommand, ShellQuoteSurvivesTheRemoteShell) {
  EXPECT_EQ(shell_quote("plain/path-1.txt"), "plain/path-1.txt");
  EXPECT_EQ(shell_quote("a b"), "'a b'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote(""), "''");
}

}  // namespace
}  // namespace machine::ssh
