// The pure parts of a network's host interface: the host's routes read from
// /proc/net/route, the subnet chosen around them, the host address and the tap name.
#include "drivers/network/host_interface.h"

#include <gtest/gtest.h>

namespace machine::drivers::network {
namespace {

// Captured on a little-endian host: a default route via 192.168.1.1, the LAN
// 192.168.1.0/24, docker's 172.17.0.0/16 and a host route 10.1.2.3/32.
constexpr const char* kRoutes =
    "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
    "eth0\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
    "eth0\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
    "docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n"
    "tun0\t0302010A\t00000000\t0005\t0\t0\t0\tFFFFFFFF\t0\t0\t0\n";

std::vector<std::string> strings(const std::vector<Subnet>& v) {
  std::vector<std::string> out;
  for (const auto& s : v) out.push_back(s.to_string());
  return out;
}

TEST(HostRoutes, ParsesDestinationsAndLeavesOutTheDefaultRoute) {
  EXPECT_EQ(strings(parse_route_table(kRoutes)),
            (std::vector<std::string>{"192.168.1.0/24", "172.17.0.0/16", "10.1.2.3/32"}));
}

TEST(HostRoutes, EmptyHeaderOnlyAndMalformedLinesGiveNoRoutes) {
  EXPECT_TRUE(parse_route_table("").empty());
  EXPECT_TRUE(parse_route_table("Iface\tDestination\tGateway\n").empty());
  EXPECT_TRUE(parse_route_table("hdr\neth0\tzz\t0\t0\t0\t0\t0\t00FFFFFF\n"
                                "eth0\t0001A8C0\t0\t0\t0\t0\t0\t00FF00FF\n"  // mask not contiguous
                                "eth0 short\n")
                  .empty());
}

TEST(FreeSubnet, StartsAtDockerMachinesSubnetAndSkipsNetworksAndRoutes) {
  EXPECT_EQ(first_free_subnet({}, {})->to_string(), "192.168.99.0/24");
  auto routes = parse_route_table(
      "hdr\nbr0\t0063A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n");  // 192.168.99.0/24
  EXPECT_EQ(first_free_subnet({}, routes)->to_string(), "192.168.100.0/24");
  EXPECT_EQ(first_free_subnet({parse_subnet("192.168.100.0/24")}, routes)->to_string(), "192.168.101.0/24");
}

TEST(FreeSubnet, AWideRouteCoveringTheRangeLeavesNothing) {
  EXPECT_FALSE(first_free_subnet({}, {Subnet{parse_ipv4("192.168.0.0"), 16}}));
  // A narrow route inside a /24 still rules that /24 out.
  EXPECT_EQ(first_free_subnet({}, {Subnet{parse_ipv4("192.168.99.77"), 32}})->to_string(),
            "192.168.100.0/24");
}

TEST(HostInterface, HostHoldsTheFirstAddressBelowTheMachines) {
  EXPECT_EQ(format_ipv4(host_address(parse_subnet("192.168.99.0/24"))), "192.168.99.1");
  EXPECT_EQ(format_ipv4(host_address(parse_subnet("10.7.0.0/16"))), "10.7.0.1");
  EXPECT_LT(host_address(parse_subnet("10.0.0.8/29")), machine_range(parse_subnet("10.0.0.8/29")).first);
}

TEST(HostInterface, TapNameFitsIfnamsizIsStableAndDiffersPerNetworkDirectory) {
  auto a = tap_name("/var/lib/machine/networks/swarmnet");
  EXPECT_LE(a.size(), 15u);
  EXPECT_EQ(a.rfind("mvde", 0), 0u);
  EXPECT_EQ(a, tap_name("/var/lib/machine/networks/swarmnet"));
  EXPECT_NE(a, tap_name("/tmp/other-store/networks/swarmnet"));
  EXPECT_NE(a, tap_name("/var/lib/machine/networks/swarmnet2"));
}

}  // namespace
}  // namespace machine::drivers::network
