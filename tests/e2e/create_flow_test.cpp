// The product's promise end to end, on one machine booted once for the whole suite:
// create -> eval $(machine env) -> the host's docker CLI over mutual TLS -> containers,
// ssh, scp, refusal of plaintext and foreign clients, docker context, the guest's everyday tools,
// a stopped machine as docker-machine treats it (errors, upgrade and restart start it), rm.
#include <gtest/gtest.h>

#include <cstdlib>

#include "tests/e2e/e2e_env.h"

namespace machine::e2e {
namespace {

class CreateFlow : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    store_ = new Store();
    create_ = new Result(store_->machine("create --qemu-restrict-network --qemu-memory 1024 vm1"));
  }
  static void TearDownTestSuite() {
    delete create_;
    delete store_;
  }
  void SetUp() override { ASSERT_EQ(create_->status, 0) << create_->out; }

  static Store* store_;
  static Result* create_;
  machine::testing::TempDir tmp_;
};
Store* CreateFlow::store_ = nullptr;
Result* CreateFlow::create_ = nullptr;

TEST_F(CreateFlow, CreatePrintsDockerMachineProgressAndEnvHint) {
  EXPECT_NE(create_->out.find("Running pre-create checks..."), std::string::npos) << create_->out;
  EXPECT_NE(create_->out.find("Creating machine..."), std::string::npos);
  EXPECT_NE(create_->out.find("Docker is up and running!"), std::string::npos);
  EXPECT_NE(create_->out.find("Registered docker context \"vm1\""), std::string::npos) << create_->out;
  EXPECT_EQ(create_->out.find("Could not register docker context"), std::string::npos) << create_->out;
  EXPECT_NE(create_->out.find("machine env vm1"), std::string::npos);
  // Piped: plain lines only (no spinner redraws), ending with where the time went.
  EXPECT_EQ(create_->out.find_first_of("\r\033"), std::string::npos) << create_->out;
  EXPECT_NE(create_->out.find("\nCreated \"vm1\" in "), std::string::npos) << create_->out;
  auto ls = store_->machine("ls --format '{{.Name}} {{.State}} {{.URL}}'");
  EXPECT_EQ(ls.status, 0) << ls.out;
  EXPECT_NE(ls.out.find("vm1 Running tcp://127.0.0.1:"), std::string::npos) << ls.out;
}

TEST_F(CreateFlow, HostDockerCliTalksToTheEngineOverTls) {
  auto r = store_->with_env(
      "vm1", "test \"$DOCKER_TLS_VERIFY\" = 1 && docker version --format '{{.Server.Version}}'");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_FALSE(r.out.empty());
  auto v = store_->machine("version vm1");
  EXPECT_EQ(v.status, 0) << v.out;
  EXPECT_EQ(v.out, r.out);
  // ls shows the same engine, and it is a current one: the default machine OS (Debian
  // trixie) carries docker.io 26, bookworm's 20.10 is no longer supported upstream.
  auto ls = store_->machine("ls --filter name=vm1 --format '{{.DockerVersion}}'");
  EXPECT_EQ(ls.status, 0) << ls.out;
  EXPECT_EQ(ls.out, "v" + r.out) << "ls DOCKER column vs docker version";
  EXPECT_GE(std::atoi(r.out.c_str()), 26) << r.out;
}

TEST_F(CreateFlow, RunsAContainerFromAnImportedImage) {
  auto tar = busybox_tar(tmp_.path());
  auto r = store_->with_env("vm1",
                            "docker import " + tar.string() +
                                " e2e/busybox >/dev/null && docker run --rm e2e/busybox echo hello-from-vm");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("hello-from-vm"), std::string::npos) << r.out;
}

TEST_F(CreateFlow, DockerContextIsRegistered) {
  auto r = sh("docker --context vm1 info --format '{{.Name}}'", {"DOCKER_CONFIG=" + store_->docker_config()});
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("vm1"), std::string::npos) << r.out;
}

TEST_F(CreateFlow, SshPassesArgumentsLikeDockerMachineAndReportsFailures) {
  auto r = store_->machine("ssh vm1 -- docker ps --format '{{.ID}}'");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(store_->machine("ssh vm1 hostname").out, "vm1\n");
  // Arguments after the name reach ssh after the destination: -C is ssh's compression flag.
  r = store_->machine("ssh vm1 -C \"echo foo\"");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out, "foo\n");
  // docker-machine logs the failed command's error and exits 1.
  r = store_->machine("ssh vm1 'exit 7'");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "exit status 7\n");
  r = store_->machine("--native-ssh ssh vm1 -- 'exit 5'");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "Process exited with status 5\n");
}

TEST_F(CreateFlow, GuestHasBoot2dockersEverydayToolsAndPaths) {
  auto r = store_->machine(
      "ssh vm1 'sudo cat /proc/$(pgrep -f $(which dockerd))/environ | tr \"\\0\" \"\\n\" | grep -c ^PATH='");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out, "1\n");
  r = store_->machine(
      "ssh vm1 'free -m | head -n1; sudo pkill -0 containerd && echo signalled; ps -o pid= -C dockerd | wc "
      "-l'");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("total"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("signalled"), std::string::npos) << r.out;
  // boot2docker kept the engine's server certificate here; scripts read it.
  auto remote = store_->machine("ssh vm1 'sudo cat /var/lib/boot2docker/server.pem'");
  EXPECT_EQ(remote.status, 0) << remote.out;
  auto local = sh("cat " + (store_->path() / "machines/vm1/server.pem").string());
  EXPECT_EQ(remote.out, local.out);
}

// Both transports: the system scp (the default, as docker-machine) and --native-ssh (SFTP
// over libssh2).
TEST_F(CreateFlow, ScpCopiesFilesAndDirectoriesBothWays) {
  auto src = tmp_.path() / "dir with space";
  ASSERT_EQ(sh("mkdir -p '" + src.string() + "/sub' && head -c 10485760 /dev/urandom > '" + src.string() +
               "/big.bin' && echo hi > '" + src.string() + "/sub/small.txt'")
                .status,
            0);
  for (std::string flag : {"", "--native-ssh "}) {
    SCOPED_TRACE(flag.empty() ? "system scp" : "native");
    std::string remote = flag.empty() ? "/tmp/copied" : "/tmp/copied-native";
    auto up = store_->machine(flag + "scp -r '" + src.string() + "' vm1:" + remote);
    ASSERT_EQ(up.status, 0) << up.out;
    auto remote_sum = store_->machine("ssh vm1 -- sha256sum " + remote + "/big.bin");
    EXPECT_EQ(remote_sum.out.substr(0, 64), sha256_file(src / "big.bin").substr(0, 64));
    auto back = tmp_.path() / ("back" + std::string(flag.empty() ? "" : "-native"));
    auto down = store_->machine(flag + "scp -r vm1:" + remote + " '" + back.string() + "'");
    ASSERT_EQ(down.status, 0) << down.out;
    EXPECT_EQ(sha256_file(back / "big.bin"), sha256_file(src / "big.bin"));
    EXPECT_EQ(sha256_file(back / "sub/small.txt"), sha256_file(src / "sub/small.txt"));
  }
}

TEST_F(CreateFlow, EngineRefusesPlaintextAndForeignClients) {
  auto url = store_->machine("url vm1").out;
  ASSERT_FALSE(url.empty());
  url.pop_back();
  auto plain = sh("DOCKER_HOST=" + url + " docker version", {"DOCKER_CONFIG=" + store_->docker_config()});
  EXPECT_NE(plain.status, 0) << plain.out;
  // A CA and client cert the engine has never seen.
  auto d = tmp_.path().string();
  ASSERT_EQ(
      sh("cd " + d +
         " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca-key.pem "
         "-out foreign-ca.pem -subj /O=foreign -days 2 2>/dev/null"
         " && openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout key.pem -out c.csr "
         "-subj /O=foreign 2>/dev/null"
         " && openssl x509 -req -in c.csr -CA foreign-ca.pem -CAkey ca-key.pem -CAcreateserial -out cert.pem "
         "-days 2 2>/dev/null")
          .status,
      0);
  // Trusts the real engine (its CA) but presents a client cert from the foreign CA.
  auto ca = (store_->path() / "machines/vm1/ca.pem").string();
  auto foreign =
      sh("cp " + ca + " " + d + "/ca.pem && DOCKER_HOST=" + url +
             " DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=" + d + " docker version --format '{{.Server.Version}}'",
         {"DOCKER_CONFIG=" + store_->docker_config()});
  EXPECT_NE(foreign.status, 0) << foreign.out;
  EXPECT_NE(foreign.out.find("certificate"), std::string::npos) << foreign.out;
}

TEST_F(CreateFlow, StoppedMachineBehavesLikeDockerMachine) {
  ASSERT_EQ(store_->machine("stop vm1").status, 0);
  EXPECT_EQ(store_->machine("status vm1").out, "Stopped\n");
  EXPECT_FALSE(qemu_running_with(store_->path().string()));
  // docker-machine's words per command, exit 1.
  for (auto [cmd, want] : std::vector<std::pair<std::string, std::string>>{
           {"url vm1", "Host is not running\n"},
           {"ip vm1", "Error getting IP address: Host is not running\n"},
           {"env vm1", "Error checking TLS connection: Host is not running\n"},
           {"config vm1", "Error running connection boilerplate: Host is not running\n"},
           {"version vm1", "Host is not running\n"},
           {"ssh vm1 true", "Error: Cannot run SSH command: Host \"vm1\" is not running\n"},
           {"stop vm1", "Stopping \"vm1\"...\nMachine \"vm1\" is already stopped.\n"},
           {"kill vm1", "Killing \"vm1\"...\nMachine \"vm1\" is already stopped.\n"}}) {
    auto r = store_->machine(cmd);
    EXPECT_EQ(r.status, 1) << cmd;
    EXPECT_EQ(r.out, want) << cmd;
  }
  // upgrade starts a stopped machine first, then upgrades; machine OS carries its engine in
  // the image, so the upgrade step itself says to re-create the machine (exit 1).
  auto up = store_->machine("upgrade vm1");
  EXPECT_EQ(up.out.find("Starting machine so machine can be upgraded...\nStarting \"vm1\"...\n"), 0u)
      << up.out;
  EXPECT_NE(up.out.find("Machine \"vm1\" was started.\nUpgrading docker on \"vm1\"...\n"), std::string::npos)
      << up.out;
  EXPECT_EQ(up.status, 1) << up.out;
  EXPECT_NE(up.out.find("the engine is part of the image"), std::string::npos) << up.out;
  ASSERT_EQ(store_->machine("status vm1").out, "Running\n");
  auto start = store_->machine("start vm1");
  EXPECT_EQ(start.status, 1);
  EXPECT_EQ(start.out, "Starting \"vm1\"...\nMachine \"vm1\" is already running.\n");
  auto r = store_->with_env("vm1", "docker version --format '{{.Server.Version}}'");
  EXPECT_EQ(r.status, 0) << r.out;
  // A stopped machine is started by restart.
  ASSERT_EQ(store_->machine("stop vm1").status, 0);
  auto restart = store_->machine("restart vm1");
  ASSERT_EQ(restart.status, 0) << restart.out;
  EXPECT_NE(restart.out.find("Machine \"vm1\" was started."), std::string::npos) << restart.out;
  EXPECT_EQ(store_->machine("status vm1").out, "Running\n");
}

// Runs last (gtest keeps declaration order within a suite).
TEST_F(CreateFlow, RmLeavesNothingBehind) {
  auto r = store_->machine("rm -y vm1");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_FALSE(std::filesystem::exists(store_->path() / "machines/vm1"));
  EXPECT_FALSE(qemu_running_with(store_->path().string()));
  auto ctx = sh("docker context inspect vm1", {"DOCKER_CONFIG=" + store_->docker_config()});
  EXPECT_NE(ctx.status, 0) << "docker context removed with the machine";
  EXPECT_EQ(store_->machine("status vm1").status, 1);
}

}  // namespace
}  // namespace machine::e2e
