#pragma once
// IPv4 subnets of private VM-to-VM networks: parsing, the static address range the tool
// hands out, and the per-address MAC. Pure functions; these addresses exist only inside
// the guests and are never assigned to a host interface.
#include <cstdint>
#include <string>

#include "drivers/common/ipv4.h"

namespace machine::drivers::network {

struct Subnet {
  std::uint32_t network = 0;  // host byte order, host bits zero
  int prefix = 24;

  common::Cidr cidr() const { return {network, prefix}; }  // the arithmetic is drivers/common's
  std::uint32_t size() const { return cidr().size(); }
  std::uint32_t broadcast() const { return cidr().broadcast(); }
  bool contains(std::uint32_t addr) const { return cidr().contains(addr); }
  std::uint32_t mask() const { return cidr().mask(); }
  std::string to_string() const { return cidr().text(); }  // "192.168.99.0/24"
};

// docker-machine's VirtualBox host-only network; the first network of a store gets it.
inline constexpr const char* kDefaultSubnet = "192.168.99.0/24";
// Prefixes a private network may use: at least a few addresses, at most a /16.
inline constexpr int kMinPrefix = 16;
inline constexpr int kMaxPrefix = 29;

// "a.b.c.d/n"; throws Error(InvalidArgument) for anything else, host bits set (naming the
// network address meant) or a prefix outside [kMinPrefix, kMaxPrefix].
Subnet parse_subnet(const std::string& cidr);

// Dotted quad <-> host-order integer; parse throws Error(InvalidArgument).
std::uint32_t parse_ipv4(const std::string& text);
using common::format_ipv4;

// The addresses handed to machines, in order: .100 to .254 of a /24 (docker-machine's DHCP
// range), the same offsets in larger subnets, and all but the first host in smaller ones.
struct AddressRange {
  std::uint32_t first = 0;
  std::uint32_t last = 0;
};
AddressRange machine_range(const Subnet& s);

// A stable, locally administered unicast MAC for a private address: 52:54 followed by the
// address's four bytes, unique on its network because the address is.
std::string mac_for(std::uint32_t addr);

}  // namespace machine::drivers::network
