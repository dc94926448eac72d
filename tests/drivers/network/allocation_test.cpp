// Subnets and address allocation: parsing, the docker-machine-like .100+ range, idempotent
// per-machine allocation, release and reuse, collisions, exhaustion and the JSON form.
#include <gtest/gtest.h>

#include "drivers/network/network_config.h"
#include "drivers/network/subnet.h"
#include "machine/error.h"

namespace machine::drivers::network {
namespace {

Code code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  ADD_FAILURE() << "expected an error";
  return Code::Internal;
}

NetworkConfig net(const std::string& cidr = kDefaultSubnet) {
  return NetworkConfig{"swarmnet", parse_subnet(cidr), {}};
}

TEST(Subnet, ParsesCidrAndFormatsItBack) {
  auto s = parse_subnet("192.168.99.0/24");
  EXPECT_EQ(s.to_string(), "192.168.99.0/24");
  EXPECT_EQ(s.size(), 256u);
  EXPECT_TRUE(s.contains(parse_ipv4("192.168.99.254")));
  EXPECT_FALSE(s.contains(parse_ipv4("192.168.100.1")));
  EXPECT_EQ(parse_subnet("10.7.0.0/16").to_string(), "10.7.0.0/16");
}

TEST(Subnet, RejectsMalformedSubnetsWithInvalidArgument) {
  for (std::string bad : {"", "192.168.99.0", "192.168.99/24", "192.168.99.0/", "192.168.99.0/x",
                          "256.1.1.0/24", "1.2.3.4.5/24", "192.168.99.0/24 ", "-1.2.3.0/24", "1..3.0/24"})
    EXPECT_EQ(code_of([&] { parse_subnet(bad); }), Code::InvalidArgument) << bad;
}

TEST(Subnet, HostBitsSetNamesTheNetworkMeant) {
  try {
    parse_subnet("192.168.99.1/24");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 192.168.99.0/24"), std::string::npos) << e.what();
  }
}

TEST(Subnet, PrefixMustLeaveRoomButNotSpanTheWorld) {
  EXPECT_EQ(code_of([] { parse_subnet("10.0.0.0/8"); }), Code::InvalidArgument);
  EXPECT_EQ(code_of([] { parse_subnet("192.168.99.0/30"); }), Code::InvalidArgument);
  EXPECT_NO_THROW(parse_subnet("192.168.99.8/29"));
}

TEST(Subnet, MachinesGetDockerMachinesRangeOnASlash24) {
  auto r = machine_range(parse_subnet("192.168.99.0/24"));
  EXPECT_EQ(format_ipv4(r.first), "192.168.99.100");
  EXPECT_EQ(format_ipv4(r.last), "192.168.99.254");
  auto small = machine_range(parse_subnet("192.168.99.16/28"));
  EXPECT_EQ(format_ipv4(small.first), "192.168.99.18");
  EXPECT_EQ(format_ipv4(small.last), "192.168.99.30");
}

TEST(Subnet, MacIsLocallyAdministeredUnicastAndDerivedFromTheAddress) {
  EXPECT_EQ(mac_for(parse_ipv4("192.168.99.100")), "52:54:c0:a8:63:64");
  EXPECT_NE(mac_for(parse_ipv4("192.168.99.100")), mac_for(parse_ipv4("192.168.99.101")));
  // 0x52: bit 1 (local) set, bit 0 (multicast) clear.
  EXPECT_EQ(0x52 & 0x3, 0x2);
}

TEST(Allocation, HandsOutAddressesInOrderFromDotHundred) {
  auto n = net();
  EXPECT_EQ(allocate(n, "myvm1").ip, "192.168.99.100");
  EXPECT_EQ(allocate(n, "myvm2").ip, "192.168.99.101");
  EXPECT_EQ(n.cidr(n.machines["myvm2"]), "192.168.99.101/24");
  EXPECT_EQ(n.machines["myvm2"].mac, "52:54:c0:a8:63:65");
}

TEST(Allocation, IsIdempotentPerMachine) {
  auto n = net();
  auto a = allocate(n, "myvm1");
  allocate(n, "myvm2");
  EXPECT_EQ(allocate(n, "myvm1").ip, a.ip);
  EXPECT_EQ(allocate(n, "myvm1", "192.168.99.200").ip, a.ip)
      << "an existing allocation wins over a preference";
  EXPECT_EQ(n.machines.size(), 2u);
}

TEST(Allocation, ReleasedAddressIsReusedLowestFirst) {
  auto n = net();
  allocate(n, "a");
  allocate(n, "b");
  allocate(n, "c");
  EXPECT_TRUE(release(n, "b"));
  EXPECT_FALSE(release(n, "b"));
  EXPECT_EQ(allocate(n, "d").ip, "192.168.99.101");
  EXPECT_EQ(allocate(n, "e").ip, "192.168.99.103");
}

TEST(Allocation, PreferredAddressIsReclaimedWhenFreeAndSkippedWhenTaken) {
  auto n = net();
  EXPECT_EQ(allocate(n, "a", "192.168.99.150").ip, "192.168.99.150");
  EXPECT_EQ(allocate(n, "b", "192.168.99.150").ip, "192.168.99.100") << "no two machines share an address";
  EXPECT_EQ(allocate(n, "c", "192.168.99.5").ip, "192.168.99.101") << "outside the machine range";
  EXPECT_EQ(code_of([&] { allocate(n, "d", "10.0.0.1"); }), Code::InvalidArgument);
}

TEST(Allocation, ExhaustionIsAFailedPreconditionNamingTheSubnet) {
  auto n = net("192.168.99.8/29");  // .10 to .14
  for (int i = 0; i < 5; ++i) allocate(n, "m" + std::to_string(i));
  try {
    allocate(n, "one-too-many");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::FailedPrecondition);
    EXPECT_NE(std::string(e.what()).find("192.168.99.8/29"), std::string::npos) << e.what();
  }
  release(n, "m2");
  EXPECT_EQ(allocate(n, "one-too-many").ip, "192.168.99.12");
}

TEST(Allocation, FullSlash24HoldsOneHundredFiftyFiveMachines) {
  auto n = net();
  for (int i = 0; i < 155; ++i) allocate(n, "m" + std::to_string(i));
  EXPECT_EQ(n.machines["m154"].ip, "192.168.99.254");
  EXPECT_EQ(code_of([&] { allocate(n, "x"); }), Code::FailedPrecondition);
}

TEST(NetworkConfigJson, RoundTripsWithDockerMachineStyleKeys) {
  auto n = net();
  allocate(n, "myvm1");
  allocate(n, "myvm2");
  auto j = to_json(n);
  EXPECT_EQ(j["Subnet"], "192.168.99.0/24");
  EXPECT_EQ(j["Driver"], "vde");
  EXPECT_EQ(j["Machines"]["myvm1"]["IPAddress"], "192.168.99.100");
  EXPECT_EQ(j["Machines"]["myvm2"]["MACAddress"], "52:54:c0:a8:63:65");
  auto back = network_config_from_json(j);
  EXPECT_EQ(back.name, "swarmnet");
  EXPECT_EQ(back.subnet.to_string(), n.subnet.to_string());
  EXPECT_EQ(machine_names(back), (std::vector<std::string>{"myvm1", "myvm2"}));
  EXPECT_EQ(back.machines["myvm2"].ip, "192.168.99.101");
}

TEST(NetworkConfigJson, RejectsAddressesOutsideTheSubnetAndBadSubnets) {
  nlohmann::json j = {
      {"Name", "n"}, {"Subnet", "192.168.99.0/24"}, {"Machines", {{"a", {{"IPAddress", "192.168.98.100"}}}}}};
  EXPECT_EQ(code_of([&] { network_config_from_json(j); }), Code::InvalidArgument);
  EXPECT_EQ(code_of([] { network_config_from_json({{"Subnet", "nope"}}); }), Code::InvalidArgument);
  EXPECT_EQ(code_of([] { network_config_from_json(nlohmann::json::array()); }), Code::InvalidArgument);
}

TEST(NetworkName, FollowsTheMachineNameRule) {
  EXPECT_TRUE(valid_network_name("swarmnet"));
  EXPECT_TRUE(valid_network_name("net-1.a_b"));
  EXPECT_FALSE(valid_network_name(""));
  EXPECT_FALSE(valid_network_name(".hidden"));
  EXPECT_FALSE(valid_network_name("a/b"));
  EXPECT_FALSE(valid_network_name("../x"));
  EXPECT_FALSE(valid_network_name(std::string(65, 'a')));
}

}  // namespace
}  // namespace machine::drivers::network
