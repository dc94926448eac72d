#include "drivers/network/subnet.h"

#include <fmt/format.h>

#include "machine/error.h"

namespace machine::drivers::network {

std::uint32_t parse_ipv4(const std::string& text) {
  auto a = common::parse_ipv4(text);
  if (!a) fail(Code::InvalidArgument, fmt::format("\"{}\" is not an IPv4 address", text));
  return *a;
}

Subnet parse_subnet(const std::string& cidr) {
  auto c = common::parse_cidr(cidr);
  if (!c)
    fail(Code::InvalidArgument,
         fmt::format("\"{}\" is not an IPv4 subnet in CIDR form (like {})", cidr, kDefaultSubnet));
  if (c->prefix < kMinPrefix || c->prefix > kMaxPrefix)
    fail(Code::InvalidArgument,
         fmt::format("subnet {}: the prefix length must be between {} and {}", cidr, kMinPrefix, kMaxPrefix));
  Subnet s{c->network(), c->prefix};
  if (s.network != c->ip)
    fail(Code::InvalidArgument,
         fmt::format("subnet {} has host bits set (did you mean {}?)", cidr, s.to_string()));
  return s;
}

AddressRange machine_range(const Subnet& s) {
  // Offsets .100-.254 in every /24 would skip addresses; one contiguous run from .100 is
  // simpler and still leaves the low addresses free, as docker-machine did.
  if (s.size() >= 256) return {s.network + 100, s.broadcast() - 1};
  return {s.network + 2, s.broadcast() - 1};
}

std::string mac_for(std::uint32_t a) {
  return fmt::format("52:54:{:02x}:{:02x}:{:02x}:{:02x}", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

}  // namespace machine::drivers::network
