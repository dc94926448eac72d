#pragma once
// Host-only networking for the VirtualBox driver: the --virtualbox-hostonly-cidr rules,
// parsers for `list hostonlyifs` / `list dhcpservers`, the DHCP range docker-machine
// uses, and the guest's static address on that network. Pure functions; the VBoxManage
// calls that use them live in hostonly_setup.h.
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "drivers/common/ipv4.h"

namespace machine::drivers::virtualbox {

// docker-machine's messages.
inline constexpr std::string_view kErrNetworkAddrCidr =
    "host-only cidr must be specified with a host address, not a network address";
inline constexpr std::string_view kErrNetworkAddrCollision =
    "host-only cidr conflicts with the network address of a host interface";

// Addresses and CIDR blocks are drivers/common's.
using common::Cidr;
using common::format_ipv4;
using common::mask_prefix;
using common::parse_ipv4;
using common::prefix_mask;

// Parses --virtualbox-hostonly-cidr. Throws Error(InvalidArgument) with docker-machine's
// messages: "invalid CIDR address: X" and kErrNetworkAddrCidr.
Cidr parse_hostonly_cidr(std::string_view s);

struct HostOnlyIf {
  std::string name;  // "vboxnet0"
  uint32_t ip = 0;
  uint32_t mask = 0;
  std::string network_name;  // "HostInterfaceNetworking-vboxnet0"
};
// `VBoxManage list hostonlyifs`. Throws Error(FailedPrecondition) with docker-machine's
// messages when two adapters share a name or an address.
std::vector<HostOnlyIf> parse_hostonlyifs(std::string_view output);

// The adapter whose address and mask match `cidr` (VirtualBox sometimes reports a fresh
// adapter's mask as 0x0f000000; that counts as a match, as in docker-machine).
const HostOnlyIf* find_hostonly_adapter(const std::vector<HostOnlyIf>& ifs, const Cidr& cidr);

struct DhcpServer {
  std::string network_name;
  uint32_t ip = 0, mask = 0, lower = 0, upper = 0;
  bool enabled = false;
};
// `VBoxManage list dhcpservers` in both layouts: 5.x ("IP:", "lowerIPAddress:") and
// 6.1+ ("Dhcpd IP:", "LowerIPAddress:", then indented option blocks).
std::vector<DhcpServer> parse_dhcpservers(std::string_view output);

inline constexpr std::string_view kDhcpPrefix = "HostInterfaceNetworking-";

// docker-machine's DHCP pool: x.y.z.100-254 of the network's first /24 for /24 and
// wider, else from the server's address + 1 to the last assignable address.
std::pair<uint32_t, uint32_t> dhcp_range(uint32_t dhcp_ip, const Cidr& cidr);

// docker-machine's DHCP server address: x.y.z.(random(24)+1), never the host address.
// `random(n)` returns 0..n-1. nullopt after five clashes.
std::optional<uint32_t> dhcp_server_address(const Cidr& cidr, const std::function<int(int)>& random);

// An IPv4 network of a host interface that is up and not loopback.
struct HostNet {
  uint32_t ip = 0;
  int prefix = 0;
};
// True when `cidr`'s network equals the network of a host interface that is not itself
// one of VirtualBox's host-only adapters (docker-machine's collision rule).
bool collides_with_host(const Cidr& cidr, const std::vector<HostNet>& host_nets,
                        const std::vector<HostOnlyIf>& hostonly);

// The guest's static address on the host-only network: outside the DHCP pool, never the
// network, broadcast, host or DHCP server address nor one in `used`. Offsets from 25 up
// come first so docker-machine's random DHCP server (offsets 1..24) never lands on it.
// Throws Error(Unavailable) when the network is full.
bool static_address_usable(uint32_t addr, const Cidr& cidr, const std::optional<DhcpServer>& dhcp,
                           const std::set<uint32_t>& used);
uint32_t choose_static_address(const Cidr& cidr, const std::optional<DhcpServer>& dhcp,
                               const std::set<uint32_t>& used);

// Networks VirtualBox 6.1.28+ lets host-only adapters use on Linux and macOS, from
// /etc/vbox/networks.conf ("* 10.0.0.0/8 192.168.0.0/16"); absent file: 192.168.56.0/21.
std::vector<Cidr> allowed_hostonly_ranges(const std::optional<std::string>& networks_conf);
bool cidr_allowed(const Cidr& cidr, const std::vector<Cidr>& allowed);

}  // namespace machine::drivers::virtualbox
