// The libvirt driver with real VMs: qemu:///system under TCG (domain type qemu) through a
// libvirtd the test starts, and the same through qemu+ssh:// to an sshd on 127.0.0.1.
// Needs root and the machine OS image; skips otherwise. Prints timings (no assertions on
// them): boot to SSH + boot marker, stop, restart.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

#include "drivers/common/ports.h"
#include "drivers/common/readiness.h"
#include "drivers/libvirt/connection.h"
#include "drivers/libvirt/libvirt_driver.h"
#include "machine/error.h"
#include "machine/store.h"
#include "tests/drivers/libvirt/libvirtd_fixture.h"

namespace machine::drivers::libvirt_test {
namespace {
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

template <typename M>
std::string c_monitor_usernet(M& m) {
  return libvirt::Connection("qemu:///system").qemu_monitor_command(m.ctx.machine_name, "info usernet");
}

std::unique_ptr<ProcessRunner> g_runner;
std::unique_ptr<Libvirtd> g_libvirtd;
std::unique_ptr<TestPool> g_pool;

class LibvirtE2e : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() != 0) return;
    g_runner = make_system_process_runner();
    g_libvirtd = std::make_unique<Libvirtd>(*g_runner);
    g_pool = std::make_unique<TestPool>();
  }
  static void TearDownTestSuite() {
    g_pool.reset();
    g_libvirtd.reset();
  }
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (qemu:///system)";
    image_ = machine_os_image_dir();
    if (!image_) GTEST_SKIP() << "no machine OS image (build one or set MACHINE_TEST_IMAGE_DIR)";
  }

  // A machine in its own store, removed when the test ends whatever happened.
  struct Machine {
    Machine(const std::string& name, const std::string& uri, const std::filesystem::path& image)
        : dir(store / "machines" / name), ctx{name, dir, store.path(), *g_runner, progress} {
      std::filesystem::create_directories(dir);
      public_key = make_ssh_key(*g_runner, dir / std::string(machine_files::kSshKey));
      driver = std::make_unique<LibvirtDriver>(ctx);
      FlagValues f;
      f.set("libvirt-uri", {uri});
      f.set("libvirt-pool", {g_pool->name()});
      f.set("libvirt-domain-type", {"qemu"});
      f.set("libvirt-image", {image.string()});
      f.set("libvirt-restrict-network", {"true"});  // network rule: only the port forwards
      driver->configure(f);
    }
    ~Machine() {
      try {
        driver->remove();
      } catch (...) {
      }
    }
    void create() {
      driver->pre_create_check();
      driver->prepare();
      driver->create(CreateSpec{ctx.machine_name, public_key, {}});
    }
    // Runs `command` in the guest over SSH with the host key the console announced.
    ProcessResult ssh(const std::string& command) {
      auto addr = driver->ssh_address();
      auto kh = dir / "known_hosts";
      std::ofstream out(kh);
      for (const auto& k : driver->host_keys())
        out << "[" << addr.host << "]:" << addr.port << " " << k << "\n";
      out.close();
      Command c{"ssh",
                {"-i", (dir / std::string(machine_files::kSshKey)).string(), "-p", std::to_string(addr.port),
                 "-o", "UserKnownHostsFile=" + kh.string(), "-o", "StrictHostKeyChecking=yes", "-o",
                 "BatchMode=yes", "-o", "ConnectTimeout=20", addr.user + "@" + addr.host, command}};
      c.timeout = 60s;
      return g_runner->run(c);
    }
    machine::testing::TempDir store;
    std::filesystem::path dir;
    NullProgress progress;
    Context ctx;
    std::string public_key;
    std::unique_ptr<LibvirtDriver> driver;
  };

  void expect_only_shared_volumes_left() {
    for (const auto& v : g_pool->volumes()) EXPECT_EQ(v.rfind("machineos-", 0), 0u) << "left behind: " << v;
  }

  std::optional<std::filesystem::path> image_;
};

TEST_F(LibvirtE2e, BootsUnderTcgToSshAndRemoveLeavesNothing) {
  Machine m("lv-e2e-local", "qemu:///system", *image_);
  auto t0 = Clock::now();
  m.create();
  auto created = since(t0);
  m.driver->wait_ready(300s);
  double to_ssh = since(t0);
  std::printf("libvirt e2e: create %.1f s (uploads included), create -> SSH + boot marker %.1f s\n", created,
              to_ssh);

  EXPECT_EQ(m.driver->state().state, State::Running);
  ASSERT_FALSE(m.driver->host_keys().empty()) << "no machine-hostkey line on the console";
  auto hostname = m.ssh("cat /etc/hostname");
  ASSERT_TRUE(hostname.ok()) << hostname.err;
  EXPECT_EQ(hostname.out, "lv-e2e-local\n");
  auto docker = m.ssh("docker version --format '{{.Server.Version}}'");
  EXPECT_TRUE(docker.ok()) << docker.out << docker.err;
  std::printf("libvirt e2e: guest docker server %s", docker.out.c_str());

  // Published-port forwards through libvirt-qemu's monitor passthrough: guest port 22 (its
  // SSH banner proves the path) at a fresh loopback port, idempotently added and removed.
  ASSERT_TRUE(m.driver->features().port_forwarding);
  int pub = pick_free_loopback_ports(1).front();
  PortForward fwd{Proto::Tcp, "127.0.0.1", pub, 22};
  m.driver->add_forward(fwd);
  m.driver->add_forward(fwd);
  EXPECT_TRUE(common::ssh_banner_ready(pub, 10s)) << "no SSH banner through the published forward";
  EXPECT_NE(c_monitor_usernet(m).find(std::to_string(pub)), std::string::npos);
  m.driver->remove_forward(fwd);
  m.driver->remove_forward(fwd);
  EXPECT_FALSE(common::ssh_banner_ready(pub, 2s));
  EXPECT_TRUE(loopback_port_free(pub)) << "the host port is given back";

  libvirt::Connection c("qemu:///system");
  auto xml = c.domain_xml_desc("lv-e2e-local");
  EXPECT_NE(xml.find("hostfwd=tcp:127.0.0.1:"), std::string::npos);
  EXPECT_NE(xml.find("restrict=on"), std::string::npos);

  t0 = Clock::now();
  m.driver->stop();
  std::printf("libvirt e2e: ACPI stop %.1f s\n", since(t0));
  EXPECT_EQ(m.driver->state().state, State::Stopped);
  m.driver->stop();  // idempotent

  // Someone else takes the SSH port while the machine is off: start moves the forward.
  int old_port = m.driver->ssh_address().port;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(old_port));
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // the old forward's TIME_WAITs
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ::listen(fd, 1);
  t0 = Clock::now();
  m.driver->start();
  m.driver->wait_ready(300s);
  std::printf("libvirt e2e: start -> SSH + boot marker %.1f s\n", since(t0));
  ::close(fd);
  EXPECT_NE(m.driver->ssh_address().port, old_port);
  EXPECT_TRUE(m.ssh("true").ok());

  m.driver->kill();
  EXPECT_EQ(m.driver->state().state, State::Stopped);
  m.driver->remove();
  EXPECT_FALSE(c.domain_exists("lv-e2e-local"));
  expect_only_shared_volumes_left();
  m.driver->remove();  // idempotent
}

TEST_F(LibvirtE2e, RemoteUriOverSshWithPinnedHostKey) {
  LoopbackSshd sshd(*g_runner,
                    std::filesystem::path(fmt::format("/var/tmp/machine-libvirt-sshd-{}", ::getpid())));
  auto uri = fmt::format("qemu+ssh://root@127.0.0.1:{}/system?keyfile={}&command={}&no_tty=1", sshd.port(),
                         sshd.key().string(), sshd.ssh_wrapper().string());
  {
    libvirt::Connection probe(uri);
    EXPECT_FALSE(probe.hostname().empty());
  }
  Machine m("lv-e2e-remote", uri, *image_);
  auto t0 = Clock::now();
  m.create();
  m.driver->wait_ready(300s);
  std::printf("libvirt e2e (qemu+ssh): create -> SSH + boot marker %.1f s\n", since(t0));
  ASSERT_FALSE(m.driver->host_keys().empty()) << "console not read back through the storage API";
  EXPECT_TRUE(m.ssh("true").ok());
  m.driver->remove();
  libvirt::Connection c("qemu:///system");
  EXPECT_FALSE(c.domain_exists("lv-e2e-remote"));
  expect_only_shared_volumes_left();
  std::error_code ec;
  std::filesystem::remove_all(sshd.key().parent_path(), ec);
}

TEST_F(LibvirtE2e, RemoteUriRefusesAnUnknownHostKey) {
  LoopbackSshd sshd(*g_runner,
                    std::filesystem::path(fmt::format("/var/tmp/machine-libvirt-sshd2-{}", ::getpid())));
  std::ofstream(sshd.known_hosts()) << "";  // nothing pinned: the host must not be trusted
  auto uri = fmt::format("qemu+ssh://root@127.0.0.1:{}/system?keyfile={}&command={}&no_tty=1", sshd.port(),
                         sshd.key().string(), sshd.ssh_wrapper().string());
  try {
    libvirt::Connection c(uri);
    ADD_FAILURE() << "connected to a host with an unknown key";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::Unavailable);
    EXPECT_NE(std::string(e.what()).find("cannot connect to libvirt at qemu+ssh://"), std::string::npos)
        << e.what();
  }
  std::error_code ec;
  std::filesystem::remove_all(sshd.key().parent_path(), ec);
}

}  // namespace
}  // namespace machine::drivers::libvirt_test
