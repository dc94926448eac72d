// `create --libvirt-network` end to end (issue 17, item 12): the machine's NIC is on a
// libvirt network with DHCP, its address is known only once the guest leased one, and
// create then re-issues the engine's server certificate for it. The real machine binary,
// a real VM under TCG, libvirt's own dnsmasq, the real docker CLI with --tlsverify.
//
// Everything runs in namespaces the suite makes (SetUpTestSuite): a network namespace with
// only loopback up (the network's bridge, dnsmasq and every packet to 192.168.213.x stay
// inside it), and a mount namespace where /run and /var/lib/libvirt are the test's own, so
// the libvirtd it starts (tests/drivers/libvirt/libvirtd_fixture.h) is never another one's
// and keeps its network state in the test's temp dir. No `default` network is defined.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>

#include "machine/process_runner.h"
#include "tests/drivers/libvirt/libvirtd_fixture.h"
#include "tests/e2e/e2e_env.h"

namespace machine::drivers::libvirt_test {
namespace {
using e2e::Result;
using e2e::sh;

constexpr const char* kNetwork = "machine-e2e-dhcp";
constexpr const char* kBridge = "mbr-e2e";
constexpr const char* kSubnetPrefix = "192.168.213.";

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Fresh network and mount namespaces for this process (and so for every daemon, VM and
// command it starts); "" when done, else what failed.
std::string enter_private_namespaces(const std::filesystem::path& state) {
  if (::unshare(CLONE_NEWNET | CLONE_NEWNS) != 0) return "unshare(CLONE_NEWNET | CLONE_NEWNS) failed";
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return "cannot make / private";
  // libvirtd's sockets and pidfiles: never a daemon of the host's (nor another test's).
  if (::mount("tmpfs", "/run", "tmpfs", 0, "mode=0755") != 0) return "cannot mount a tmpfs on /run";
  std::filesystem::create_directories(state);
  std::filesystem::create_directories("/var/lib/libvirt");
  if (::mount(state.c_str(), "/var/lib/libvirt", nullptr, MS_BIND, nullptr) != 0)
    return "cannot bind the test's dir over /var/lib/libvirt";
  if (sh("ip link set lo up").status != 0) return "cannot bring up loopback";
  return "";
}

class LibvirtNetworkE2e : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() != 0 || !machine_os_image_dir()) return;
    tmp_ = new machine::testing::TempDir();
    problem_ = enter_private_namespaces(tmp_->path() / "var-lib-libvirt");
    if (!problem_.empty()) return;
    runner_ = make_system_process_runner().release();
    libvirtd_ = new Libvirtd(*runner_);
    if (!libvirtd_->started_by_us()) {
      problem_ = "a libvirtd answered that this test did not start";
      return;
    }
    pool_ = new TestPool();
    auto xml = tmp_->path() / "network.xml";
    std::ofstream(xml) << "<network>\n  <name>" << kNetwork << "</name>\n  <bridge name='" << kBridge
                       << "' stp='off'/>\n  <ip address='" << kSubnetPrefix
                       << "1' netmask='255.255.255.0'>\n    <dhcp><range start='" << kSubnetPrefix
                       << "100' end='" << kSubnetPrefix << "150'/></dhcp>\n  </ip>\n</network>\n";
    auto net = sh(std::string("virsh -q -c qemu:///system net-define ") + xml.string() +
                  " && virsh -q -c qemu:///system net-start " + kNetwork);
    if (net.status != 0) {
      problem_ = "cannot start the test's libvirt network: " + net.out;
      return;
    }
    store_ = new e2e::Store();
    auto t0 = std::chrono::steady_clock::now();
    create_ =
        store_->machine(std::string("create -d libvirt --libvirt-uri qemu:///system --libvirt-network ") +
                        kNetwork + " --libvirt-pool " + pool_->name() +
                        " --libvirt-domain-type qemu --libvirt-memory 768 --no-mounts d1");
    create_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("[ libvirt  ] create on a DHCP network: %.1f s (exit %d)\n", create_seconds_, create_.status);
    if (create_.status != 0)  // what the network's dnsmasq handed out, for the failure message
      create_.out += sh(std::string("virsh -c qemu:///system net-dhcp-leases ") + kNetwork +
                        "; cat /var/lib/libvirt/dnsmasq/*.status")
                         .out;
  }

  static void TearDownTestSuite() {
    delete store_;  // rm -f of every machine: the domain goes before the network it is on
    if (libvirtd_ && libvirtd_->started_by_us())
      sh(std::string("virsh -q -c qemu:///system net-destroy ") + kNetwork +
         "; virsh -q -c qemu:///system net-undefine " + kNetwork);  // ends its dnsmasq
    delete pool_;
    delete libvirtd_;
    delete runner_;
    delete tmp_;
  }

  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (namespaces, qemu:///system)";
    if (!machine_os_image_dir())
      GTEST_SKIP() << "no machine OS image (build one or set MACHINE_TEST_IMAGE_DIR)";
    ASSERT_EQ(problem_, "");
    ASSERT_EQ(create_.status, 0) << create_.out;
  }

  static std::string ip() { return trimmed(store_->machine("ip d1").out); }
  static std::filesystem::path machine_file(const std::string& f) {
    return store_->path() / "machines/d1" / f;
  }

  static machine::testing::TempDir* tmp_;
  static ProcessRunner* runner_;
  static Libvirtd* libvirtd_;
  static TestPool* pool_;
  static e2e::Store* store_;
  static std::string problem_;
  static Result create_;
  static double create_seconds_;
};
machine::testing::TempDir* LibvirtNetworkE2e::tmp_ = nullptr;
ProcessRunner* LibvirtNetworkE2e::runner_ = nullptr;
Libvirtd* LibvirtNetworkE2e::libvirtd_ = nullptr;
TestPool* LibvirtNetworkE2e::pool_ = nullptr;
e2e::Store* LibvirtNetworkE2e::store_ = nullptr;
std::string LibvirtNetworkE2e::problem_;
Result LibvirtNetworkE2e::create_;
double LibvirtNetworkE2e::create_seconds_ = 0;

TEST_F(LibvirtNetworkE2e, MachineIpIsTheAddressTheNetworksDhcpLeased) {
  auto addr = ip();
  ASSERT_TRUE(std::regex_match(addr, std::regex(R"(192\.168\.213\.(1[0-4][0-9]|150))"))) << addr;
  auto leases = sh(std::string("virsh -c qemu:///system net-dhcp-leases ") + kNetwork);
  EXPECT_NE(leases.out.find(addr + "/24"), std::string::npos) << leases.out;
  auto in_guest = store_->machine("ssh d1 -- busybox ip -4 -o addr show");
  EXPECT_NE(in_guest.out.find("inet " + addr + "/24"), std::string::npos) << in_guest.out;
  EXPECT_EQ(trimmed(store_->machine("url d1").out), "tcp://" + addr + ":2376");
}

// The certificate issued before the VM existed could not name the lease: create re-issued
// it once the address was known and provisioning installed it.
TEST_F(LibvirtNetworkE2e, ServerCertificateWasReissuedForTheLeasedAddress) {
  auto addr = ip();
  auto san = sh("openssl x509 -noout -ext subjectAltName -in " + machine_file("server.pem").string());
  EXPECT_TRUE(std::regex_search(
      san.out,
      std::regex("IP Address:" + std::regex_replace(addr, std::regex(R"(\.)"), R"(\.)") + "(,|\n|$)")))
      << san.out;
  EXPECT_NE(create_.out.find("Regenerated TLS certificates for \"d1\""), std::string::npos) << create_.out;
  auto verify = sh("openssl verify -CAfile " + machine_file("ca.pem").string() + " -verify_ip " + addr + " " +
                   machine_file("server.pem").string());
  EXPECT_EQ(verify.status, 0) << verify.out;
}

TEST_F(LibvirtNetworkE2e, DockerVerifiesTlsAtTheLeasedAddress) {
  auto dir = store_->path() / "machines/d1";
  auto r = sh("docker --tlsverify --tlscacert " + (dir / "ca.pem").string() + " --tlscert " +
                  (dir / "cert.pem").string() + " --tlskey " + (dir / "key.pem").string() + " -H tcp://" +
                  ip() + ":2376 version --format '{{.Server.Version}}'",
              {"DOCKER_CONFIG=" + store_->docker_config(), "DOCKER_HOST=", "DOCKER_CONTEXT="});
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(^\d+\.\d+)"))) << r.out;
  // What the installed engine presents is the re-issued certificate (not the seed's).
  auto served = sh("echo | openssl s_client -connect " + ip() + ":2376 -CAfile " + (dir / "ca.pem").string() +
                   " -cert " + (dir / "cert.pem").string() + " -key " + (dir / "key.pem").string() +
                   " -verify_ip " + ip() + " -verify_return_error 2>&1 | grep -E 'Verify return code'");
  EXPECT_NE(served.out.find("Verify return code: 0 (ok)"), std::string::npos) << served.out;
}

TEST_F(LibvirtNetworkE2e, RmLeavesNoDomainOrVolume) {
  auto rm = store_->machine("rm -f -y d1");
  ASSERT_EQ(rm.status, 0) << rm.out;
  auto domains = sh("virsh -q -c qemu:///system list --all --name");
  EXPECT_EQ(domains.out.find("d1"), std::string::npos) << domains.out;
  for (const auto& v : pool_->volumes()) EXPECT_EQ(v.rfind("d1", 0), std::string::npos) << v;
}

}  // namespace
}  // namespace machine::drivers::libvirt_test
