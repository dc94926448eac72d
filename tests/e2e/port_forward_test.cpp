// Published container ports reach the host (issue 15), on one QEMU machine booted once for
// the suite: `docker run -p` answers at 127.0.0.1 and at $(machine ip) over TCP and UDP,
// stops answering after `docker rm -f`, comes back after `machine restart`, a host port
// someone holds is reported and not stolen, and the forwarder lives and dies with the VM.
// Ports come from the free-port helper, so parallel runs do not clash; the suite runs in
// its own network namespace (see SetUpTestSuite).
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <thread>

#include "drivers/common/ports.h"
#include "tests/e2e/e2e_env.h"
#include "tests/e2e/net_probe.h"
#include "tests/support/netns.h"

namespace machine::e2e {
namespace {
using namespace std::chrono_literals;

constexpr const char* kPage = "hello from a published port\n";

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// An image with busybox (httpd), a page to serve, and the static UDP echo server.
std::filesystem::path web_image_tar(const std::filesystem::path& dir) {
  auto root = dir / "web-root";
  std::filesystem::create_directories(root / "bin");
  std::filesystem::create_directories(root / "www");
  std::filesystem::copy_file("/bin/busybox", root / "bin/busybox");
  std::filesystem::copy_file(UDP_ECHO_BINARY, root / "bin/udp_echo");
  std::ofstream(root / "www/index.html") << kPage;
  auto tar = dir / "web.tar";
  sh("for a in sh httpd sleep; do ln -sf busybox '" + root.string() + "/bin/'$a; done && tar -C '" +
     root.string() + "' -cf '" + tar.string() + "' .");
  return tar;
}

class PortForward : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // The VM needs unrestricted user networking (restricted slirp drops the guest's UDP
    // replies), so the whole suite runs in a network namespace of its own with only
    // loopback up: the guest can reach nothing, and every probe goes to this namespace's
    // 127.0.0.1. Children (machine, its forwarder, QEMU, docker) inherit it.
    netns_ = machine::testing::enter_private_netns();
    if (!netns_) return;
    store_ = new Store();
    tmp_ = new machine::testing::TempDir();
    create_ = new Result(store_->machine("create pf1"));
    if (create_->status != 0) return;
    auto tar = web_image_tar(tmp_->path());
    import_ = new Result(store_->with_env("pf1", "docker import '" + tar.string() + "' e2e/web"));
  }
  static void TearDownTestSuite() {
    delete import_;
    delete create_;
    delete store_;  // removes pf1 (and so its forwarder)
    delete tmp_;
  }
  void SetUp() override {
    ASSERT_TRUE(netns_) << machine::testing::kNeedsNetns;
    ASSERT_EQ(create_->status, 0) << create_->out;
    ASSERT_NE(import_, nullptr);
    ASSERT_EQ(import_->status, 0) << import_->out;
  }

  static Result docker(const std::string& args) { return store_->with_env("pf1", "docker " + args); }
  static int free_port() { return drivers::pick_free_loopback_ports(1).front(); }
  static std::string machine_dir() { return (store_->path() / "machines/pf1").string(); }
  static int forwarder_pid() {
    std::ifstream in(machine_dir() + "/forwarder.pid");
    int pid = 0;
    in >> pid;
    return pid;
  }
  static bool forwarder_alive() {
    int pid = forwarder_pid();
    return pid > 0 && ::kill(pid, 0) == 0 &&
           sh("tr '\\0' ' ' </proc/" + std::to_string(pid) + "/cmdline | grep -q -- '__forward pf1'")
                   .status == 0;
  }
  static std::string web(int host_port, const std::string& extra = "") {
    return "run -d " + extra + " -p " + std::to_string(host_port) + ":8080 e2e/web httpd -f -p 8080 -h /www";
  }
  static bool page_at(const std::string& addr, int port) { return http_get(addr, port, 2s) == kPage; }

  static bool netns_;
  static Store* store_;
  static machine::testing::TempDir* tmp_;
  static Result* create_;
  static Result* import_;
};
bool PortForward::netns_ = false;
Store* PortForward::store_ = nullptr;
machine::testing::TempDir* PortForward::tmp_ = nullptr;
Result* PortForward::create_ = nullptr;
Result* PortForward::import_ = nullptr;

TEST_F(PortForward, ForwarderRunsWithTheMachineAndShowsInInspect) {
  EXPECT_TRUE(forwarder_alive()) << sh("cat " + machine_dir() + "/forwarder.log").out;
  auto r = store_->machine("inspect -f '{{.PortForwarder.Running}} {{.PortForwarder.Engine}}' pf1");
  EXPECT_EQ(r.out, "true connected\n") << r.out;
  EXPECT_EQ(store_->machine("ip pf1").out, "127.0.0.1\n");
}

TEST_F(PortForward, PublishedTcpPortAnswersAtLoopbackAndMachineIpThenClosesAfterRm) {
  int port = free_port();
  auto run = docker(web(port, "--name web1"));
  ASSERT_EQ(run.status, 0) << run.out;
  EXPECT_TRUE(eventually([&] { return page_at("127.0.0.1", port); }, 30s))
      << sh("cat " + machine_dir() + "/forwarder.log").out;
  auto ip = trimmed(store_->machine("ip pf1").out);
  EXPECT_TRUE(page_at(ip, port)) << "at $(machine ip) = " << ip;
  auto fwd = store_->machine("inspect -f '{{json .PortForwarder.Forwarded}}' pf1");
  EXPECT_NE(fwd.out.find("tcp:127.0.0.1:" + std::to_string(port) + "-:" + std::to_string(port)),
            std::string::npos)
      << fwd.out;

  ASSERT_EQ(docker("rm -f web1").status, 0);
  // Closed, not merely unanswered: nothing listens on the host port any more.
  EXPECT_TRUE(eventually([&] { return tcp_refused("127.0.0.1", port); }, 30s))
      << "still forwarded after rm -f";
}

TEST_F(PortForward, PublishedUdpPortEchoes) {
  int port = free_port();
  auto run = docker("run -d --name echo1 -p " + std::to_string(port) + ":5353/udp e2e/web udp_echo 5353");
  ASSERT_EQ(run.status, 0) << run.out;
  EXPECT_TRUE(eventually([&] { return udp_roundtrip("127.0.0.1", port, "ping-udp", 1s) == "ping-udp"; }, 30s))
      << sh("cat " + machine_dir() + "/forwarder.log").out;
  docker("rm -f echo1");
}

TEST_F(PortForward, TakenHostPortIsReportedNotStolenAndTakenOnceFreed) {
  int port = free_port();
  HeldPort held(port);
  ASSERT_TRUE(held.ok());
  auto run = docker(web(port, "--name taken1"));
  ASSERT_EQ(run.status, 0) << run.out;
  std::string want = "127.0.0.1:" + std::to_string(port) + "/tcp: the port is in use on the host";
  EXPECT_TRUE(eventually(
      [&] {
        return store_->machine("ls --format '{{.Name}} {{.Error}}'").out.find(want) != std::string::npos;
      },
      30s))
      << store_->machine("ls").out;
  auto skipped = store_->machine("inspect -f '{{json .PortForwarder.Skipped}}' pf1");
  EXPECT_NE(skipped.out.find(want), std::string::npos) << skipped.out;
  EXPECT_NE(sh("cat " + machine_dir() + "/forwarder.log")
                .out.find("not forwarding 127.0.0.1:" + std::to_string(port)),
            std::string::npos);
  EXPECT_FALSE(page_at("127.0.0.1", port)) << "our listener still owns the port";

  held.release();  // freed: the forwarder takes it on its next retry
  EXPECT_TRUE(eventually([&] { return page_at("127.0.0.1", port); }, 30s));
  EXPECT_EQ(store_->machine("ls --format '{{.Error}}'").out, "\n");
  docker("rm -f taken1");
}

TEST_F(PortForward, StartBringsBackADeadForwarder) {
  int pid = forwarder_pid();
  ASSERT_TRUE(forwarder_alive());
  ::kill(pid, SIGKILL);
  EXPECT_TRUE(eventually([&] { return !forwarder_alive(); }, 10s));
  auto ls = store_->machine("ls --format '{{.Error}}'");
  EXPECT_NE(ls.out.find("port forwarder is not running"), std::string::npos) << ls.out;
  // docker-machine's "already running" error (exit 1), after the forwarder is back.
  auto start = store_->machine("start pf1");
  EXPECT_EQ(start.status, 1) << start.out;
  EXPECT_NE(start.out.find("Machine \"pf1\" is already running."), std::string::npos) << start.out;
  EXPECT_TRUE(forwarder_alive());
  EXPECT_NE(forwarder_pid(), pid);
}

TEST_F(PortForward, RestartPolicyContainerIsReachableAgainAfterMachineRestart) {
  int port = free_port();
  ASSERT_EQ(docker(web(port, "--name always1 --restart always")).status, 0);
  ASSERT_TRUE(eventually([&] { return page_at("127.0.0.1", port); }, 30s));
  int pid = forwarder_pid();
  auto restart = store_->machine("restart pf1");
  ASSERT_EQ(restart.status, 0) << restart.out;
  EXPECT_TRUE(eventually([&] { return page_at("127.0.0.1", port); }, 180s))
      << sh("cat " + machine_dir() + "/forwarder.log").out;
  EXPECT_EQ(forwarder_pid(), pid) << "the forwarder followed the VM through the restart";
}

// Runs last (declaration order): stop ends the forwarder, rm leaves nothing.
TEST_F(PortForward, StopAndRmEndTheForwarder) {
  int pid = forwarder_pid();
  ASSERT_GT(pid, 0);
  ASSERT_EQ(store_->machine("stop pf1").status, 0);
  EXPECT_FALSE(forwarder_alive());
  EXPECT_FALSE(std::filesystem::exists(machine_dir() + "/forwarder.pid"));
  auto inspect = store_->machine("inspect -f '{{.PortForwarder.Running}}' pf1");
  EXPECT_EQ(inspect.out, "false\n");
  ASSERT_EQ(store_->machine("rm -y pf1").status, 0);
  EXPECT_NE(
      sh("tr '\\0' ' ' </proc/" + std::to_string(pid) + "/cmdline 2>/dev/null | grep -q -- '__forward pf1'")
          .status,
      0);
  EXPECT_FALSE(std::filesystem::exists(machine_dir()));
}

}  // namespace
}  // namespace machine::e2e
