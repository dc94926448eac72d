// The network store: config files written atomically with private modes, subnets chosen
// per network, stale allocations reclaimed, the switch started on connect and stopped
// with the last machine, and `network rm` refusing while machines use it.
#include "drivers/network/network_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "drivers/network/host_interface.h"
#include "machine/error.h"
#include "tests/drivers/network/fake_switch.h"
#include "tests/support/fake_process_runner.h"
#include "tests/support/temp_dir.h"

namespace machine::drivers::network {
namespace {
using machine::testing::FakeProcessRunner;
using machine::testing::FakeSwitches;

unsigned mode_of(const std::filesystem::path& p) {
  struct stat st {};
  ::stat(p.c_str(), &st);
  return st.st_mode & 0777;
}

class NetworkStoreTest : public ::testing::Test {
 protected:
  NetworkStoreTest() {
    for (auto m : {"myvm1", "myvm2", "myvm3", "other"})
      std::filesystem::create_directories(store.path() / "machines" / m);
  }
  NetworkStore networks() { return NetworkStore(store.path(), runner, switches.options()); }
  int vde_runs() {
    int n = 0;
    for (const auto& c : runner.commands()) n += c.rfind("vde_switch", 0) == 0;
    return n;
  }

  machine::testing::TempDir store;
  FakeProcessRunner runner;
  FakeSwitches switches{runner};
};

TEST_F(NetworkStoreTest, FirstAttachCreatesTheNetworkWithTheDefaultSubnet) {
  auto a = networks().attach("swarmnet", "myvm1");
  EXPECT_EQ(a.ip, "192.168.99.100");
  EXPECT_EQ(a.cidr, "192.168.99.100/24");
  EXPECT_EQ(a.subnet, "192.168.99.0/24");
  EXPECT_EQ(a.mac, "52:54:c0:a8:63:64");
  EXPECT_EQ(a.switch_dir, store.path() / "networks/swarmnet/switch");
  auto cfg = store.path() / "networks/swarmnet/config.json";
  ASSERT_TRUE(std::filesystem::exists(cfg));
  EXPECT_EQ(mode_of(cfg), 0600u);
  EXPECT_EQ(mode_of(store.path() / "networks"), 0700u);
  EXPECT_EQ(mode_of(store.path() / "networks/swarmnet"), 0700u);
  auto j = nlohmann::json::parse(machine::testing::read_file(cfg));
  EXPECT_EQ(j["Machines"]["myvm1"]["IPAddress"], "192.168.99.100");
  EXPECT_EQ(vde_runs(), 0) << "attach only reserves; the switch starts when a machine boots";
}

TEST_F(NetworkStoreTest, SecondMachineGetsTheNextAddressAndBothAreStored) {
  networks().attach("swarmnet", "myvm1");
  EXPECT_EQ(networks().attach("swarmnet", "myvm2").ip, "192.168.99.101");
  EXPECT_EQ(networks().attach("swarmnet", "myvm1").ip, "192.168.99.100");
  auto info = networks().find("swarmnet");
  ASSERT_TRUE(info);
  EXPECT_EQ(machine_names(info->config), (std::vector<std::string>{"myvm1", "myvm2"}));
}

TEST_F(NetworkStoreTest, EachNewNetworkGetsTheNextFreeSlash24) {
  EXPECT_EQ(networks().attach("a", "myvm1").subnet, "192.168.99.0/24");
  EXPECT_EQ(networks().attach("b", "myvm2").subnet, "192.168.100.0/24");
  EXPECT_EQ(networks().attach("c", "myvm3", "192.168.101.0/24").subnet, "192.168.101.0/24");
  EXPECT_EQ(networks().attach("d", "other").subnet, "192.168.102.0/24");
}

TEST_F(NetworkStoreTest, ExplicitSubnetMustMatchAnExistingNetwork) {
  networks().attach("swarmnet", "myvm1", "10.10.0.0/24");
  EXPECT_EQ(networks().attach("swarmnet", "myvm2", "10.10.0.0/24").ip, "10.10.0.101");
  EXPECT_EQ(networks().attach("swarmnet", "myvm3").ip, "10.10.0.102")
      << "no subnet given: join whatever it is";
  try {
    networks().attach("swarmnet", "other", "10.20.0.0/24");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::InvalidArgument);
    EXPECT_NE(std::string(e.what()).find("exists with subnet 10.10.0.0/24"), std::string::npos) << e.what();
  }
}

TEST_F(NetworkStoreTest, InvalidNamesAreRejectedBeforeTouchingTheStore) {
  EXPECT_THROW(networks().attach("../escape", "myvm1"), Error);
  EXPECT_THROW(networks().attach("", "myvm1"), Error);
  EXPECT_FALSE(std::filesystem::exists(store.path() / "escape"));
}

TEST_F(NetworkStoreTest, AllocationsOfMachinesWithoutADirectoryAreReclaimed) {
  networks().attach("swarmnet", "myvm1");
  networks().attach("swarmnet", "myvm2");
  std::filesystem::remove_all(store.path() / "machines/myvm1");  // `rm -f` with a broken driver
  EXPECT_EQ(networks().attach("swarmnet", "myvm3").ip, "192.168.99.100");
  EXPECT_EQ(machine_names(networks().find("swarmnet")->config), (std::vector<std::string>{"myvm2", "myvm3"}));
}

TEST_F(NetworkStoreTest, ConnectStartsTheSwitchOnceAndDetachOfTheLastMachineStopsIt) {
  auto a = networks().connect("swarmnet", "myvm1");
  EXPECT_EQ(runner.commands().back(), "vde_switch -s " + a.switch_dir.string() + " -p " +
                                          (store.path() / "networks/swarmnet/switch.pid").string() + " -d");
  EXPECT_TRUE(networks().find("swarmnet")->switch_running);
  networks().connect("swarmnet", "myvm2");
  networks().connect("swarmnet", "myvm1");  // a restart
  EXPECT_EQ(vde_runs(), 1);
  networks().detach("swarmnet", "myvm1");
  EXPECT_TRUE(networks().find("swarmnet")->switch_running) << "myvm2 still uses it";
  networks().detach("swarmnet", "myvm2");
  auto info = networks().find("swarmnet");
  ASSERT_TRUE(info) << "the network (its subnet) outlives its machines";
  EXPECT_FALSE(info->switch_running);
  EXPECT_TRUE(info->config.machines.empty());
  EXPECT_TRUE(switches.alive.empty());
  EXPECT_FALSE(std::filesystem::exists(a.switch_dir));
  EXPECT_FALSE(std::filesystem::exists(store.path() / "networks/swarmnet/switch.pid"));
}

// As root the switch gets a tap holding the subnet's first address: the host reaches the
// machines. The tap goes with the switch, so the record is cleared with it.
TEST_F(NetworkStoreTest, ConnectAsRootGivesTheSwitchAHostInterfaceWithTheFirstAddress) {
  switches.host_interface_allowed = true;
  runner.on("ip", [](const Command&) { return machine::testing::ok_result(); });
  auto a = networks().connect("swarmnet", "myvm1");
  EXPECT_EQ(a.host_address, "192.168.99.1");
  EXPECT_EQ(a.note, "");
  auto tap = tap_name(store.path() / "networks/swarmnet");
  auto cmds = runner.commands();
  ASSERT_EQ(cmds.size(), 3u);
  EXPECT_EQ(cmds[0], "vde_switch -s " + a.switch_dir.string() + " -p " +
                         (store.path() / "networks/swarmnet/switch.pid").string() + " -d -t " + tap);
  EXPECT_EQ(cmds[1], "ip addr replace 192.168.99.1/24 dev " + tap);
  EXPECT_EQ(cmds[2], "ip link set " + tap + " up");
  EXPECT_EQ(networks().find("swarmnet")->config.host_interface, tap);
  EXPECT_EQ(networks().connect("swarmnet", "myvm2").host_address, "192.168.99.1") << "the running switch's";
  EXPECT_EQ(runner.commands().size(), 3u);
  networks().detach("swarmnet", "myvm1");
  networks().detach("swarmnet", "myvm2");
  EXPECT_EQ(networks().find("swarmnet")->config.host_interface, "");
}

TEST_F(NetworkStoreTest, WithoutRootTheNetworkIsVmToVmOnlyAndConnectSaysSo) {
  auto a = networks().connect("swarmnet", "myvm1");
  EXPECT_EQ(a.host_address, "");
  EXPECT_NE(a.note.find("not running as root"), std::string::npos) << a.note;
  EXPECT_NE(a.note.find("cannot reach 192.168.99.100"), std::string::npos) << a.note;
  for (const auto& c : runner.commands()) EXPECT_EQ(c.find(" -t "), std::string::npos) << c;
  EXPECT_NE(networks().connect("swarmnet", "myvm2").note, "") << "every machine's create says it";
}

TEST_F(NetworkStoreTest, ASubnetOverlappingAHostRouteGetsNoHostInterface) {
  switches.host_interface_allowed = true;
  switches.route_table = "hdr\neth0\t00000A0A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n";  // 10.10.0.0/16
  auto a = networks().connect("swarmnet", "myvm1", "10.10.5.0/24");
  EXPECT_EQ(a.host_address, "");
  EXPECT_NE(a.note.find("overlaps this host's route to 10.10.0.0/16"), std::string::npos) << a.note;
  EXPECT_EQ(runner.commands().size(), 1u) << "the switch, without a tap";
}

TEST_F(NetworkStoreTest, NewNetworksAvoidTheHostsRoutes) {
  switches.route_table =
      "hdr\nbr0\t0063A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";  // 192.168.99.0/24
  EXPECT_EQ(networks().attach("swarmnet", "myvm1").subnet, "192.168.100.0/24");
}

TEST_F(NetworkStoreTest, AFailedHostInterfaceLeavesAWorkingVmToVmNetworkAndANote) {
  switches.host_interface_allowed = true;
  runner.on("ip", [](const Command&) { return machine::testing::fail_result(1, "Cannot find device"); });
  auto a = networks().connect("swarmnet", "myvm1");
  EXPECT_EQ(a.host_address, "");
  EXPECT_NE(a.note.find("Cannot find device"), std::string::npos) << a.note;
  EXPECT_TRUE(networks().find("swarmnet")->switch_running);
  EXPECT_EQ(networks().find("swarmnet")->config.host_interface, "");
}

TEST_F(NetworkStoreTest, DetachIsIdempotent) {
  networks().connect("swarmnet", "myvm1");
  networks().detach("swarmnet", "myvm1");
  EXPECT_NO_THROW(networks().detach("swarmnet", "myvm1"));
  EXPECT_NO_THROW(networks().detach("never-existed", "myvm1"));
  EXPECT_FALSE(std::filesystem::exists(store.path() / "networks/never-existed"));
}

TEST_F(NetworkStoreTest, ConnectRestartsASwitchThatDied) {
  networks().connect("swarmnet", "myvm1");
  switches.crash_all();
  EXPECT_FALSE(networks().find("swarmnet")->switch_running);
  networks().connect("swarmnet", "myvm1");
  EXPECT_EQ(vde_runs(), 2);
  EXPECT_TRUE(networks().find("swarmnet")->switch_running);
}

TEST_F(NetworkStoreTest, ConnectReclaimsTheRememberedAddressAfterTheNetworkWasRemoved) {
  networks().connect("swarmnet", "myvm1");
  networks().connect("swarmnet", "myvm2");
  networks().remove("swarmnet", true);
  EXPECT_TRUE(switches.alive.empty());
  auto a = networks().connect("swarmnet", "myvm2", "192.168.99.0/24", "192.168.99.101");
  EXPECT_EQ(a.ip, "192.168.99.101");
  EXPECT_EQ(networks().connect("swarmnet", "myvm1", "", "192.168.99.100").ip, "192.168.99.100");
}

TEST_F(NetworkStoreTest, RemoveRefusesWhileMachinesUseItUnlessForced) {
  networks().connect("swarmnet", "myvm1");
  networks().connect("swarmnet", "myvm2");
  try {
    networks().remove("swarmnet", false);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::FailedPrecondition);
    EXPECT_NE(std::string(e.what()).find("in use by myvm1, myvm2"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(networks().find("swarmnet")->switch_running);
  networks().remove("swarmnet", true);
  EXPECT_FALSE(std::filesystem::exists(store.path() / "networks/swarmnet"));
  EXPECT_TRUE(switches.alive.empty());
  EXPECT_TRUE(networks().list().empty());
}

TEST_F(NetworkStoreTest, RemoveOfAnUnusedNetworkNeedsNoForceAndOfAMissingOneIsNotFound) {
  networks().attach("swarmnet", "myvm1");
  networks().detach("swarmnet", "myvm1");
  EXPECT_NO_THROW(networks().remove("swarmnet", false));
  try {
    networks().remove("swarmnet", false);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::NotFound);
  }
}

TEST_F(NetworkStoreTest, ListIsSortedAndSkipsBrokenConfigs) {
  networks().attach("zeta", "myvm1");
  networks().attach("alpha", "myvm2");
  std::filesystem::create_directories(store.path() / "networks/broken");
  machine::testing::write_file(store.path() / "networks/broken/config.json", "{not json");
  auto l = networks().list();
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0].config.name, "alpha");
  EXPECT_EQ(l[1].config.name, "zeta");
  EXPECT_NO_THROW(networks().remove("broken", true));
}

TEST_F(NetworkStoreTest, BrokenConfigIsReportedWithItsPath) {
  std::filesystem::create_directories(store.path() / "networks/swarmnet");
  machine::testing::write_file(store.path() / "networks/swarmnet/config.json",
                               "{\"Subnet\": \"1.2.3.0/40\"}");
  try {
    networks().attach("swarmnet", "myvm1");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("networks/swarmnet/config.json"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace machine::drivers::network
