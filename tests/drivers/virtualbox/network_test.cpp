// Host-only network rules and VBoxManage list parsers. Fixtures are VBoxManage output:
// `list hostonlyifs` / `list dhcpservers` of VirtualBox 6.1.38 (Linux) and the 5.x
// dhcpservers layout docker-machine's tests captured.
#include "drivers/virtualbox/network.h"

#include <gtest/gtest.h>

#include "machine/error.h"
#include "tests/support/error_of.h"

namespace machine::drivers::virtualbox {
namespace {

uint32_t ip(const char* s) { return parse_ipv4(s).value(); }

using machine::testing::error_of;

// VBoxManage 6.1.38r153438 `list hostonlyifs`
constexpr const char* kTwoAdapters = R"(Name:            vboxnet0
GUID:            786f6276-656e-4074-8000-0a0027000000
DHCP:            Disabled
IPAddress:       192.168.99.1
NetworkMask:     255.255.255.0
IPV6Address:     
IPV6NetworkMaskPrefixLength: 0
HardwareAddress: 0a:00:27:00:00:00
MediumType:      Ethernet
Wireless:        No
Status:          Up
VBoxNetworkName: HostInterfaceNetworking-vboxnet0

Name:            vboxnet1
GUID:            786f6276-656e-4174-8000-0a0027000001
DHCP:            Disabled
IPAddress:       169.254.37.187
NetworkMask:     255.255.255.0
IPV6Address:     
IPV6NetworkMaskPrefixLength: 0
HardwareAddress: 0a:00:27:00:00:01
MediumType:      Ethernet
Wireless:        No
Status:          Down
VBoxNetworkName: HostInterfaceNetworking-vboxnet1
)";

TEST(HostOnlyCidr, AcceptsHostAddressWithPrefix) {
  auto c = parse_hostonly_cidr("192.168.100.1/24");
  EXPECT_EQ(format_ipv4(c.ip), "192.168.100.1");
  EXPECT_EQ(format_ipv4(c.network()), "192.168.100.0");
  EXPECT_EQ(format_ipv4(c.mask()), "255.255.255.0");
}

TEST(HostOnlyCidr, RejectsMissingPrefixWithDockerMachineMessage) {
  Code code{};
  EXPECT_EQ(error_of([] { parse_hostonly_cidr("192.168.100.1"); }, &code),
            "invalid CIDR address: 192.168.100.1");
  EXPECT_EQ(code, Code::InvalidArgument);
  EXPECT_EQ(error_of([] { parse_hostonly_cidr("192.168.300.1/24"); }),
            "invalid CIDR address: 192.168.300.1/24");
  EXPECT_EQ(error_of([] { parse_hostonly_cidr("192.168.1.1/33"); }), "invalid CIDR address: 192.168.1.1/33");
}

TEST(HostOnlyCidr, RejectsNetworkAddress) {
  EXPECT_EQ(error_of([] { parse_hostonly_cidr("192.168.100.0/24"); }),
            "host-only cidr must be specified with a host address, not a network address");
}

TEST(HostOnlyIfs, ParsesEveryAdapter) {
  auto ifs = parse_hostonlyifs(kTwoAdapters);
  ASSERT_EQ(ifs.size(), 2u);
  EXPECT_EQ(ifs[0].name, "vboxnet0");
  EXPECT_EQ(format_ipv4(ifs[0].ip), "192.168.99.1");
  EXPECT_EQ(format_ipv4(ifs[0].mask), "255.255.255.0");
  EXPECT_EQ(ifs[1].network_name, "HostInterfaceNetworking-vboxnet1");
}

TEST(HostOnlyIfs, RefusesDuplicateNamesAndAddresses) {
  std::string twice = std::string(kTwoAdapters) + "\n" + kTwoAdapters;
  Code code{};
  auto msg = error_of([&] { parse_hostonlyifs(twice); }, &code);
  EXPECT_EQ(code, Code::FailedPrecondition);
  EXPECT_NE(msg.find("multiple host-only adapters with the same"), std::string::npos) << msg;
}

TEST(HostOnlyIfs, FindsAdapterByAddressAndMaskIncludingBuggyMask) {
  auto ifs = parse_hostonlyifs(kTwoAdapters);
  auto* found = find_hostonly_adapter(ifs, parse_hostonly_cidr("192.168.99.1/24"));
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->name, "vboxnet0");
  EXPECT_EQ(find_hostonly_adapter(ifs, parse_hostonly_cidr("192.168.99.1/16")), nullptr);
  ifs[0].mask = 0x0f000000;  // VirtualBox's mis-reported mask right after creation
  EXPECT_NE(find_hostonly_adapter(ifs, parse_hostonly_cidr("192.168.99.1/24")), nullptr);
}

TEST(DhcpServers, ParsesVirtualBox61Layout) {
  // VBoxManage 6.1.38r153438 `list dhcpservers`
  auto servers = parse_dhcpservers(R"(NetworkName:    HostInterfaceNetworking-vboxnet0
Dhcpd IP:       192.168.56.100
LowerIPAddress: 192.168.56.101
UpperIPAddress: 192.168.56.254
NetworkMask:    255.255.255.0
Enabled:        Yes
Global Configuration:
    minLeaseTime:     default
    defaultLeaseTime: default
    maxLeaseTime:     default
    Forced options:   None
    Suppressed opts.: None
        1/legacy: 255.255.255.0
Groups:               None
Individual Configs:   None
)");
  ASSERT_EQ(servers.size(), 1u);
  EXPECT_EQ(servers[0].network_name, "HostInterfaceNetworking-vboxnet0");
  EXPECT_EQ(format_ipv4(servers[0].ip), "192.168.56.100");
  EXPECT_EQ(format_ipv4(servers[0].lower), "192.168.56.101");
  EXPECT_EQ(format_ipv4(servers[0].upper), "192.168.56.254");
  EXPECT_EQ(format_ipv4(servers[0].mask), "255.255.255.0");
  EXPECT_TRUE(servers[0].enabled);
}

TEST(DhcpServers, ParsesVirtualBox5Layout) {
  auto servers = parse_dhcpservers(R"(
NetworkName:    HostInterfaceNetworking-vboxnet0
IP:             192.168.99.6
NetworkMask:    255.255.255.0
lowerIPAddress: 192.168.99.100
upperIPAddress: 192.168.99.254
Enabled:        Yes

NetworkName:    HostInterfaceNetworking-vboxnet1
IP:             192.168.99.7
NetworkMask:    255.255.255.0
lowerIPAddress: 192.168.99.100
upperIPAddress: 192.168.99.254
Enabled:        No
)");
  ASSERT_EQ(servers.size(), 2u);
  EXPECT_EQ(format_ipv4(servers[0].ip), "192.168.99.6");
  EXPECT_FALSE(servers[1].enabled);
}

TEST(DhcpRange, MatchesDockerMachineForEachPrefix) {
  struct Case {
    const char* cidr;
    const char* lower;
    const char* upper;
  };
  for (auto c : {Case{"10.0.0.14/8", "10.0.0.100", "10.0.0.254"},
                 Case{"192.168.99.7/24", "192.168.99.100", "192.168.99.254"},
                 Case{"100.121.20.19/25", "100.121.20.20", "100.121.20.126"},
                 Case{"100.121.10.8/28", "100.121.10.9", "100.121.10.14"}}) {
    auto cidr = parse_hostonly_cidr(c.cidr);
    auto [lower, upper] = dhcp_range(cidr.ip, cidr);
    EXPECT_EQ(format_ipv4(lower), c.lower) << c.cidr;
    EXPECT_EQ(format_ipv4(upper), c.upper) << c.cidr;
  }
}

TEST(DhcpServerAddress, NeverTheHostAddress) {
  auto cidr = parse_hostonly_cidr("192.168.99.6/24");
  int calls = 0;
  auto addr = dhcp_server_address(cidr, [&](int n) {
    EXPECT_EQ(n, 24);
    return calls++ == 0 ? 5 : 6;  // first pick is .6 = the host
  });
  EXPECT_EQ(format_ipv4(addr.value()), "192.168.99.7");
  EXPECT_FALSE(dhcp_server_address(cidr, [](int) { return 5; }).has_value());
}

TEST(Collision, HostInterfaceOnTheSameNetworkCollides) {
  auto cidr = parse_hostonly_cidr("192.168.99.1/24");
  std::vector<HostNet> wifi{{ip("192.168.99.42"), 24}};
  EXPECT_TRUE(collides_with_host(cidr, wifi, {}));
  EXPECT_FALSE(collides_with_host(cidr, {{ip("10.10.0.22"), 24}}, {}));
}

TEST(Collision, ExistingHostOnlyAdapterIsNotAHostInterface) {
  auto cidr = parse_hostonly_cidr("192.168.99.1/24");
  auto ifs = parse_hostonlyifs(kTwoAdapters);
  EXPECT_FALSE(collides_with_host(cidr, {{ip("192.168.99.1"), 24}}, ifs));
  // docker-machine's "host moved to another network" case: Wi-Fi now uses 192.168.99.0/24.
  EXPECT_TRUE(collides_with_host(cidr, {{ip("192.168.99.1"), 24}, {ip("192.168.99.42"), 24}}, ifs));
}

TEST(StaticAddress, AvoidsDhcpPoolServerHostAndUsedAddresses) {
  auto cidr = parse_hostonly_cidr("192.168.99.1/24");
  DhcpServer dhcp{"HostInterfaceNetworking-vboxnet0",
                  ip("192.168.99.25"),
                  ip("255.255.255.0"),
                  ip("192.168.99.100"),
                  ip("192.168.99.254"),
                  true};
  EXPECT_EQ(format_ipv4(choose_static_address(cidr, dhcp, {})), "192.168.99.26");
  EXPECT_EQ(format_ipv4(choose_static_address(cidr, dhcp, {ip("192.168.99.26")})), "192.168.99.27");
  EXPECT_EQ(format_ipv4(choose_static_address(cidr, std::nullopt, {})), "192.168.99.25");
  EXPECT_FALSE(static_address_usable(ip("192.168.99.150"), cidr, dhcp, {}));
  dhcp.enabled = false;  // a disabled server's pool is free for static use
  EXPECT_TRUE(static_address_usable(ip("192.168.99.150"), cidr, dhcp, {}));
}

TEST(StaticAddress, SmallNetworksUseLowOffsetsAndReportWhenFull) {
  auto cidr = parse_hostonly_cidr("10.20.30.1/29");  // .1 host, .2-.6 usable
  EXPECT_EQ(format_ipv4(choose_static_address(cidr, std::nullopt, {})), "10.20.30.2");
  std::set<uint32_t> used;
  for (int i = 2; i <= 6; ++i) used.insert(ip(("10.20.30." + std::to_string(i)).c_str()));
  Code code{};
  error_of([&] { choose_static_address(cidr, std::nullopt, used); }, &code);
  EXPECT_EQ(code, Code::Unavailable);
}

TEST(AllowedRanges, DefaultIs192_168_56_0_21) {
  auto allowed = allowed_hostonly_ranges(std::nullopt);
  EXPECT_TRUE(cidr_allowed(parse_hostonly_cidr("192.168.56.1/24"), allowed));
  EXPECT_TRUE(cidr_allowed(parse_hostonly_cidr("192.168.63.1/24"), allowed));
  EXPECT_FALSE(cidr_allowed(parse_hostonly_cidr("192.168.99.1/24"), allowed));
  EXPECT_FALSE(cidr_allowed(parse_hostonly_cidr("192.168.56.1/16"), allowed));
}

TEST(AllowedRanges, ReadsNetworksConf) {
  auto allowed =
      allowed_hostonly_ranges(std::string("# comment\n* 10.0.0.0/8 192.168.99.0/24\n* 2001::/64\n"));
  EXPECT_TRUE(cidr_allowed(parse_hostonly_cidr("192.168.99.1/24"), allowed));
  EXPECT_TRUE(cidr_allowed(parse_hostonly_cidr("10.1.2.3/16"), allowed));
  EXPECT_FALSE(cidr_allowed(parse_hostonly_cidr("192.168.56.1/24"), allowed));
}

}  // namespace
}  // namespace machine::drivers::virtualbox
