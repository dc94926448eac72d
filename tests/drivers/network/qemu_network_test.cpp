// The QEMU driver on a private network (--qemu-network): flag validation, the address
// prepare() reserves (server cert SANs, `machine ip`), the second NIC on the network's
// switch in the launch spec, persistence, and release on remove.
#include <gtest/gtest.h>

#include <algorithm>

#include "drivers/network/network_store.h"
#include "drivers/qemu/qemu_argv.h"
#include "drivers/qemu/qemu_driver.h"
#include "machine/error.h"
#include "tests/support/fake_process_runner.h"
#include "tests/support/temp_dir.h"

namespace machine::drivers {
namespace {
using machine::testing::FakeProcessRunner;

class QuietProgress final : public Progress {
 public:
  void step(std::string_view) override {}
  void status(std::string_view) override {}
};

HostVirt tcg_host() { return HostVirt{"linux", false, false, "no /dev/kvm"}; }

class QemuNetworkTest : public ::testing::Test {
 protected:
  std::unique_ptr<QemuDriver> driver(const std::string& name, std::map<std::string, std::string> flags) {
    std::filesystem::create_directories(store.path() / "machines" / name);
    QemuDriverOptions o;
    o.probe = tcg_host;
    auto d = std::make_unique<QemuDriver>(
        Context{name, store.path() / "machines" / name, store.path(), runner, progress}, o);
    FlagValues f;
    for (auto& [k, v] : flags) f.set(k, {v});
    d->configure(f);
    return d;
  }
  static std::string invalid_message(QemuNetworkTest& t, std::map<std::string, std::string> flags) {
    try {
      t.driver("vm", std::move(flags));
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Code::InvalidArgument);
      return e.what();
    }
    ADD_FAILURE() << "expected InvalidArgument";
    return "";
  }

  machine::testing::TempDir store;
  FakeProcessRunner runner;
  QuietProgress progress;
};

TEST_F(QemuNetworkTest, AdvertisesPrivateNetworkSupport) {
  EXPECT_TRUE(driver("vm", {})->features().private_network);
}

TEST_F(QemuNetworkTest, InvalidNetworkFlagsAreRejectedAtConfigure) {
  EXPECT_NE(invalid_message(*this, {{"qemu-network", "no/slash"}}).find("--qemu-network"), std::string::npos);
  EXPECT_NE(invalid_message(*this, {{"qemu-network", "n"}, {"qemu-network-subnet", "192.168.99.1/24"}})
                .find("--qemu-network-subnet"),
            std::string::npos);
  EXPECT_NE(invalid_message(*this, {{"qemu-network-subnet", "10.1.0.0/24"}}).find("needs --qemu-network"),
            std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(store.path() / "networks")) << "validation touches nothing";
}

TEST_F(QemuNetworkTest, WithoutANetworkNothingChanges) {
  auto d = driver("vm", {});
  EXPECT_EQ(d->prepare(), std::vector<std::string>{"127.0.0.1"});
  EXPECT_EQ(d->ip(), "127.0.0.1");
  EXPECT_FALSE(d->vm_spec().private_nic);
  EXPECT_FALSE(std::filesystem::exists(store.path() / "networks"));
}

TEST_F(QemuNetworkTest, PrepareReservesThePrivateAddressForTheCertAndMachineIp) {
  auto d1 = driver("myvm1", {{"qemu-network", "swarmnet"}});
  auto d2 = driver("myvm2", {{"qemu-network", "swarmnet"}});
  EXPECT_EQ(d1->prepare(), (std::vector<std::string>{"127.0.0.1", "192.168.99.100"}));
  EXPECT_EQ(d2->prepare(), (std::vector<std::string>{"127.0.0.1", "192.168.99.101"}));
  EXPECT_EQ(d1->ip(), "192.168.99.100");
  EXPECT_EQ(d2->ip(), "192.168.99.101");
  EXPECT_EQ(d1->engine_url().rfind("tcp://127.0.0.1:", 0), 0u) << "the engine stays on the loopback forward";
  EXPECT_EQ(d1->ssh_address().host, "127.0.0.1");
}

TEST_F(QemuNetworkTest, LaunchSpecHasASecondNicOnTheSwitchWithTheMachinesMac) {
  auto d = driver("myvm1", {{"qemu-network", "swarmnet"}});
  d->prepare();
  auto spec = d->vm_spec();
  ASSERT_TRUE(spec.private_nic);
  auto sock = (store.path() / "networks/swarmnet/switch").string();
  EXPECT_EQ(spec.private_nic->netdev, "vde,sock=" + sock);
  EXPECT_EQ(spec.private_nic->mac, "52:54:c0:a8:63:64");
  auto args = qemu::build_qemu_args(spec);
  EXPECT_NE(std::find(args.begin(), args.end(), "vde,sock=" + sock + ",id=net1"), args.end());
  EXPECT_NE(std::find(args.begin(), args.end(), "virtio-net-pci,netdev=net1,mac=52:54:c0:a8:63:64"),
            args.end());
  // The user-mode NIC stays first: the guest's primary network and the port forwards.
  auto user = std::find_if(args.begin(), args.end(), [](auto& a) { return a.rfind("user,id=net0", 0) == 0; });
  auto vde = std::find_if(args.begin(), args.end(), [](auto& a) { return a.rfind("vde,", 0) == 0; });
  EXPECT_LT(user, vde);
}

TEST_F(QemuNetworkTest, AddressAndNetworkArePersistedAndComeBack) {
  auto d = driver("myvm1", {{"qemu-network", "swarmnet"}, {"qemu-network-subnet", "10.99.0.0/24"}});
  d->prepare();
  auto j = d->to_json();
  EXPECT_EQ(j["PrivateNetwork"], "swarmnet");
  EXPECT_EQ(j["PrivateNetworkSubnet"], "10.99.0.0/24");
  EXPECT_EQ(j["PrivateIPAddress"], "10.99.0.100");
  EXPECT_EQ(j["PrivateMACAddress"], "52:54:0a:63:00:64");
  EXPECT_EQ(j["IPAddress"], "10.99.0.100");
  auto again = driver("myvm1", {});
  again->from_json(j);
  EXPECT_EQ(again->ip(), "10.99.0.100");
  EXPECT_EQ(again->vm_spec().private_nic->mac, "52:54:0a:63:00:64");
}

TEST_F(QemuNetworkTest, RemoveReleasesTheAddress) {
  auto d1 = driver("myvm1", {{"qemu-network", "swarmnet"}});
  auto d2 = driver("myvm2", {{"qemu-network", "swarmnet"}});
  d1->prepare();
  d2->prepare();
  d1->remove();
  network::NetworkStore networks(store.path(), runner);
  auto info = networks.find("swarmnet");
  ASSERT_TRUE(info);
  EXPECT_EQ(network::machine_names(info->config), std::vector<std::string>{"myvm2"});
  EXPECT_NO_THROW(d1->remove()) << "idempotent";
  d2->remove();
  EXPECT_TRUE(networks.find("swarmnet")->config.machines.empty());
  EXPECT_FALSE(std::filesystem::exists(store.path() / "networks/swarmnet/switch"));
}

}  // namespace
}  // namespace machine::drivers
