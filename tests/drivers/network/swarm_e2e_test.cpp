// The swarm walkthrough end to end with the real machine binary, two QEMU VMs under TCG on
// one host-reachable private network (--qemu-network: a VDE switch over unix sockets whose
// host tap holds 192.168.99.1, because the test runs as root), the real docker CLI:
// swarm init on $(machine ip myvm1), myvm2 joins, `docker node ls` shows both Ready, a stack
// of a locally imported busybox image (loaded on both nodes: no registry, no outbound
// traffic) runs 4 replicas on both nodes, its published port answers from the host at both
// machines' addresses and at 127.0.0.1 (the port forwarder), scp and stack rm work, and
// removing the machines leaves no switch, tap, socket or machine directory behind.
// The whole suite runs in a network namespace it makes (SetUpTestSuite): the tap and every
// packet to a private address stay inside it.
#include <gtest/gtest.h>

#include <chrono>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "drivers/network/host_interface.h"
#include "tests/e2e/e2e_env.h"
#include "tests/e2e/net_probe.h"
#include "tests/support/netns.h"

namespace machine::e2e {
namespace {
using namespace std::chrono_literals;

constexpr const char* kCreateFlags =
    "create --qemu-restrict-network --qemu-memory 768 --qemu-network swarmnet ";
constexpr const char* kCompose =
    "version: \"3.8\"\n"
    "services:\n"
    "  web:\n"
    "    image: e2e/busybox:latest\n"
    // Each replica serves its container's hostname. PID 1 ignores SIGTERM unless it traps
    // it: without the trap `stack rm` waits 10 s per task.
    "    command: [\"sh\", \"-c\", \"mkdir -p /www && hostname > /www/index.html && "
    "httpd -f -p 8080 -h /www & trap 'exit 0' TERM; wait\"]\n"
    "    ports:\n"
    "      - \"4001:8080\"\n"
    "    deploy:\n"
    "      replicas: 4\n"
    "      placement:\n"
    "        max_replicas_per_node: 2\n";
constexpr int kPublished = 4001;

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.push_back(l);
  return out;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Polls `probe` until it returns true or `timeout` passes.
bool eventually(std::chrono::seconds timeout, const std::function<bool()>& probe) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (probe()) return true;
    std::this_thread::sleep_for(2s);
  }
  return probe();
}

bool switch_running_for(const std::filesystem::path& store) {
  return sh("pgrep -af vde_switch | grep -F -- '" + store.string() + "' | grep -v pgrep").status == 0;
}

class Swarm : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Creating the network's tap and talking to 192.168.99.x happen only in this private
    // namespace (loopback up, nothing else); machine, QEMU, the switch inherit it.
    netns_ = machine::testing::enter_private_netns();
    if (!netns_) return;
    store_ = new Store();
    tmp_ = new machine::testing::TempDir();
    for (auto name : {"myvm1", "myvm2"}) {
      auto t0 = std::chrono::steady_clock::now();
      auto r = store_->machine(std::string(kCreateFlags) + name);
      auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::printf("[ swarm    ] create %s: %.1f s (exit %d)\n", name, secs, r.status);
      creates_.push_back(r);
    }
  }
  static void TearDownTestSuite() {
    delete store_;  // removes any machine still there
    delete tmp_;
  }
  void SetUp() override {
    ASSERT_TRUE(netns_) << machine::testing::kNeedsNetns;
    for (const auto& c : creates_) ASSERT_EQ(c.status, 0) << c.out;
  }
  static Result machine(const std::string& args) { return store_->machine(args); }
  static std::string ip(const std::string& name) { return trimmed(machine("ip " + name).out); }
  static Result docker(const std::string& node, const std::string& script) {
    return store_->with_env(node, script);
  }

  static std::string tap() { return drivers::network::tap_name(store_->path() / "networks/swarmnet"); }
  static std::optional<std::string> page(const std::string& addr) {
    return http_get(addr, kPublished, std::chrono::milliseconds(5000));
  }

  static bool netns_;
  static Store* store_;
  static machine::testing::TempDir* tmp_;
  static std::vector<Result> creates_;
};
bool Swarm::netns_ = false;
Store* Swarm::store_ = nullptr;
machine::testing::TempDir* Swarm::tmp_ = nullptr;
std::vector<Result> Swarm::creates_;

TEST_F(Swarm, MachinesGetStaticPrivateAddressesWhileTheEngineStaysOnLoopback) {
  EXPECT_EQ(ip("myvm1"), "192.168.99.100");
  EXPECT_EQ(ip("myvm2"), "192.168.99.101");
  EXPECT_EQ(machine("url myvm1").out.rfind("tcp://127.0.0.1:", 0), 0u);
  auto san = sh("openssl x509 -noout -ext subjectAltName -in " +
                (store_->path() / "machines/myvm1/server.pem").string());
  EXPECT_NE(san.out.find("IP Address:192.168.99.100"), std::string::npos) << san.out;
  EXPECT_NE(san.out.find("IP Address:127.0.0.1"), std::string::npos) << san.out;
  auto addr = machine("ssh myvm2 -- busybox ip -4 -o addr show");
  EXPECT_NE(addr.out.find("192.168.99.101/24"), std::string::npos) << addr.out;
  // Run as root, the network is host-reachable: no "VM-to-VM only" note at create.
  for (const auto& c : creates_) EXPECT_EQ(c.out.find("has no host interface"), std::string::npos) << c.out;
}

// The switch's tap holds the subnet's first address in this namespace, and the host
// reaches both machines on their private addresses.
TEST_F(Swarm, HostReachesTheMachinesThroughTheNetworksTap) {
  auto link = sh("ip -4 -o addr show dev " + tap());
  EXPECT_NE(link.out.find("inet 192.168.99.1/24"), std::string::npos) << link.out;
  for (auto node : {"myvm1", "myvm2"}) {
    auto ping = sh("busybox ping -c 1 -W 5 " + ip(node));
    EXPECT_EQ(ping.status, 0) << node << ": " << ping.out;
  }
  auto cfg = machine::testing::read_file(store_->path() / "networks/swarmnet/config.json");
  EXPECT_NE(cfg.find("\"HostInterface\": \"" + tap() + "\""), std::string::npos) << cfg;
}

TEST_F(Swarm, NetworkLsShowsTheNetworkItsMachinesAndARunningSwitch) {
  auto ls = machine("network ls");
  ASSERT_EQ(ls.status, 0) << ls.out;
  auto rows = lines(ls.out);
  ASSERT_EQ(rows.size(), 2u) << ls.out;
  EXPECT_EQ(std::regex_replace(rows[0], std::regex(" +"), " "), "NAME SUBNET MACHINES SWITCH");
  EXPECT_EQ(std::regex_replace(rows[1], std::regex(" +"), " "),
            "swarmnet 192.168.99.0/24 myvm1,myvm2 Running");
  EXPECT_TRUE(switch_running_for(store_->path()));
  auto rm = machine("network rm swarmnet");
  EXPECT_NE(rm.status, 0) << "in use";
  EXPECT_NE(rm.out.find("in use by myvm1, myvm2"), std::string::npos) << rm.out;
}

TEST_F(Swarm, GuestsReachEachOtherOnThePrivateNetwork) {
  auto r = machine("ssh myvm1 -- sudo busybox ping -c 1 -W 5 192.168.99.101");
  EXPECT_EQ(r.status, 0) << r.out;
}

TEST_F(Swarm, InitJoinAndBothNodesReady) {
  auto init = docker("myvm1", "docker swarm init --advertise-addr $(" + store_->binary() + " -s " +
                                  store_->path().string() + " ip myvm1)");
  ASSERT_EQ(init.status, 0) << init.out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(init.out, m, std::regex(R"(docker swarm join --token (\S+) (\S+:2377))")))
      << init.out;
  EXPECT_EQ(m[2].str(), "192.168.99.100:2377");
  auto join = docker("myvm2", "docker swarm join --token " + m[1].str() + " " + m[2].str());
  ASSERT_EQ(join.status, 0) << join.out;
  EXPECT_NE(join.out.find("This node joined a swarm as a worker"), std::string::npos) << join.out;
  Result nodes;
  bool ready = eventually(120s, [&] {
    nodes = docker("myvm1", "docker node ls --format '{{.Hostname}} {{.Status}}'");
    return nodes.out.find("myvm1 Ready") != std::string::npos &&
           nodes.out.find("myvm2 Ready") != std::string::npos;
  });
  EXPECT_TRUE(ready) << nodes.out;
  EXPECT_EQ(lines(nodes.out).size(), 2u) << nodes.out;
}

TEST_F(Swarm, StackRunsReplicasOnBothNodes) {
  // A busybox rootfs from Debian's busybox-static, imported on both nodes (no registry).
  auto root = tmp_->path() / "rootfs";
  auto tar = tmp_->path() / "busybox.tar";
  ASSERT_EQ(sh("mkdir -p " + root.string() + "/bin && cp /bin/busybox " + root.string() +
               "/bin/ && for a in sh sleep echo cat hostname mkdir httpd; do ln -sf busybox " +
               root.string() + "/bin/$a; done && tar -C " + root.string() + " -cf " + tar.string() + " .")
                .status,
            0);
  for (auto node : {"myvm1", "myvm2"}) {
    auto r = docker(node, "docker import " + tar.string() + " e2e/busybox:latest");
    ASSERT_EQ(r.status, 0) << node << ": " << r.out;
  }
  auto compose = tmp_->path() / "docker-compose.yml";
  machine::testing::write_file(compose, kCompose);
  auto scp = machine("scp " + compose.string() + " myvm1:~");
  ASSERT_EQ(scp.status, 0) << scp.out;
  EXPECT_EQ(machine("ssh myvm1 -- cat docker-compose.yml").out, kCompose);

  auto t0 = std::chrono::steady_clock::now();
  auto deploy =
      docker("myvm1", "cd " + tmp_->path().string() +
                          " && docker stack deploy --resolve-image never -c docker-compose.yml app");
  ASSERT_EQ(deploy.status, 0) << deploy.out;
  Result ps;
  std::set<std::string> nodes;
  bool spread = eventually(300s, [&] {
    ps = docker(
        "myvm1",
        "docker service ps app_web --filter desired-state=running --format '{{.Node}} {{.CurrentState}}'");
    nodes.clear();
    int running = 0;
    for (const auto& l : lines(ps.out))
      if (l.find(" Running") != std::string::npos) {
        nodes.insert(l.substr(0, l.find(' ')));
        ++running;
      }
    return nodes.size() == 2 && running == 4;
  });
  std::printf("[ swarm    ] stack deploy to replicas running on both nodes: %.1f s\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  auto history = docker("myvm1", "docker service ps --no-trunc app_web");
  std::printf("%s", history.out.c_str());
  EXPECT_TRUE(spread) << ps.out;
  EXPECT_EQ(nodes, (std::set<std::string>{"myvm1", "myvm2"})) << ps.out;
  // Each node runs its replica from its own local image.
  for (auto node : {"myvm1", "myvm2"}) {
    auto r = docker(node, "docker ps --filter label=com.docker.stack.namespace=app --format '{{.Image}}'");
    EXPECT_NE(r.out.find("e2e/busybox"), std::string::npos) << node << ": " << r.out;
  }
}

// The routing mesh (ingress overlay over the private network, IPVS): the published port
// answers from the host at every node's private address, from replicas on both nodes, and
// at 127.0.0.1 through myvm1's port forwarder (a service's published port).
TEST_F(Swarm, PublishedPortAnswersFromTheHostAtEveryNodeAndAtLoopback) {
  std::set<std::string> served_by;
  for (const auto& addr : {ip("myvm1"), ip("myvm2"), std::string("127.0.0.1")}) {
    std::optional<std::string> body;
    auto t0 = std::chrono::steady_clock::now();
    bool answered = eventually(180s, [&] {
      body = page(addr);
      return body && !trimmed(*body).empty();
    });
    std::printf("[ swarm    ] %s:%d answered after %.1f s\n", addr.c_str(), kPublished,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    EXPECT_TRUE(answered) << addr << ":" << kPublished << "\n"
                          << sh("cat " + (store_->path() / "machines/myvm1/forwarder.log").string()).out;
    for (int i = 0; i < 8 && answered; ++i)  // IPVS round robin over the four tasks
      if (auto b = page(addr)) served_by.insert(trimmed(*b));
  }
  auto containers = docker("myvm1", "docker ps -q --filter label=com.docker.stack.namespace=app").out +
                    docker("myvm2", "docker ps -q --filter label=com.docker.stack.namespace=app").out;
  EXPECT_EQ(served_by.size(), 4u) << "replicas that answered: " << served_by.size() << "; containers:\n"
                                  << containers;
  for (const auto& h : served_by) EXPECT_NE(containers.find(h), std::string::npos) << h;
}

TEST_F(Swarm, StackRmRemovesEveryTask) {
  auto t0 = std::chrono::steady_clock::now();
  auto rm = docker("myvm1", "docker stack rm app");
  ASSERT_EQ(rm.status, 0) << rm.out;
  Result left;
  EXPECT_TRUE(eventually(120s, [&] {
    left = docker("myvm2", "docker ps -q --filter label=com.docker.stack.namespace=app");
    return left.status == 0 && trimmed(left.out).empty();
  })) << left.out;
  std::printf("[ swarm    ] stack rm until no task container is left: %.1f s\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  EXPECT_EQ(trimmed(docker("myvm1", "docker service ls -q").out), "");
}

// Runs last (declaration order): removing the machines stops the switch and leaves nothing.
TEST_F(Swarm, RemovingTheMachinesStopsTheSwitchAndLeavesNothing) {
  auto rm = machine("rm -y myvm1 myvm2");
  ASSERT_EQ(rm.status, 0) << rm.out;
  EXPECT_FALSE(std::filesystem::exists(store_->path() / "machines/myvm1"));
  EXPECT_FALSE(std::filesystem::exists(store_->path() / "machines/myvm2"));
  EXPECT_FALSE(qemu_running_with(store_->path().string()));
  EXPECT_FALSE(switch_running_for(store_->path()));
  EXPECT_NE(sh("ip link show " + tap()).status, 0) << "the tap went with the switch";
  auto net = store_->path() / "networks/swarmnet";
  EXPECT_FALSE(std::filesystem::exists(net / "switch")) << "no sockets";
  EXPECT_FALSE(std::filesystem::exists(net / "switch.pid"));
  auto ls = machine("network ls");
  EXPECT_EQ(std::regex_replace(lines(ls.out).back(), std::regex(" +"), " "),
            "swarmnet 192.168.99.0/24 - Stopped");
  auto nrm = machine("network rm swarmnet");
  EXPECT_EQ(nrm.status, 0) << nrm.out;
  EXPECT_FALSE(std::filesystem::exists(net));
  EXPECT_EQ(lines(machine("network ls").out).size(), 1u);
}

}  // namespace
}  // namespace machine::e2e
