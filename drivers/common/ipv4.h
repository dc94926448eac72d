#pragma once
// IPv4 addresses and CIDR blocks as host-order integers: the one parser and formatter the
// private networks (drivers/network) and VirtualBox's host-only networks share. Pure.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace machine::drivers::common {

// Dotted quad ("192.168.99.1", each part 0-255, at most three digits) <-> host-order integer.
std::optional<std::uint32_t> parse_ipv4(std::string_view s);
std::string format_ipv4(std::uint32_t ip);

// Netmask of a prefix length (24 -> 255.255.255.0); 0 for 0 or less.
std::uint32_t prefix_mask(int prefix);
// Prefix length of a contiguous netmask ("255.255.255.0" -> 24); nullopt otherwise.
std::optional<int> mask_prefix(std::uint32_t mask);

// An address with a prefix length, as written "a.b.c.d/n". `ip` may have host bits set (a
// host-only adapter's own address) or not (a network).
struct Cidr {
  std::uint32_t ip = 0;
  int prefix = 24;
  std::uint32_t mask() const { return prefix_mask(prefix); }
  std::uint32_t network() const { return ip & mask(); }
  std::uint32_t broadcast() const { return network() | ~mask(); }
  // Number of addresses in the block (0 for /0, which does not fit).
  std::uint32_t size() const { return prefix <= 0 ? 0 : std::uint32_t(~mask()) + 1; }
  bool contains(std::uint32_t addr) const { return (addr & mask()) == network(); }
  std::string text() const;  // "192.168.99.1/24"
};

// "a.b.c.d/n" with n in 0..32 (one or two digits); nullopt for anything else.
std::optional<Cidr> parse_cidr(std::string_view s);

}  // namespace machine::drivers::common
