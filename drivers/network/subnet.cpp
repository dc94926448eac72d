#include "drivers/network/subnet.h"

#include <fmt/format.h>

#include <charconv>

#include "machine/error.h"

namespace machine::drivers::network {
namespace {

bool parse_int(std::string_view s, int max, int& out) {
  if (s.empty() || s.size() > 3) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && out >= 0 && out <= max;
}

bool try_parse_ipv4(std::string_view s, std::uint32_t& out) {
  out = 0;
  for (int i = 0; i < 4; ++i) {
    auto dot = s.find('.');
    if ((i < 3) == (dot == std::string_view::npos)) return false;
    int octet = 0;
    if (!parse_int(s.substr(0, dot), 255, octet)) return false;
    out = out << 8 | static_cast<std::uint32_t>(octet);
    s = i < 3 ? s.substr(dot + 1) : std::string_view();
  }
  return true;
}

}  // namespace

std::string Subnet::to_string() const { return fmt::format("{}/{}", format_ipv4(network), prefix); }

std::uint32_t parse_ipv4(const std::string& text) {
  std::uint32_t a = 0;
  if (!try_parse_ipv4(text, a)) fail(Code::InvalidArgument, fmt::format("\"{}\" is not an IPv4 address", text));
  return a;
}

std::string format_ipv4(std::uint32_t a) {
  return fmt::format("{}.{}.{}.{}", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

Subnet parse_subnet(const std::string& cidr) {
  auto slash = cidr.find('/');
  std::uint32_t addr = 0;
  int prefix = 0;
  if (slash == std::string::npos || !try_parse_ipv4(std::string_view(cidr).substr(0, slash), addr) ||
      !parse_int(std::string_view(cidr).substr(slash + 1), 32, prefix))
    fail(Code::InvalidArgument, fmt::format("\"{}\" is not an IPv4 subnet in CIDR form (like {})", cidr, kDefaultSubnet));
  if (prefix < kMinPrefix || prefix > kMaxPrefix)
    fail(Code::InvalidArgument,
         fmt::format("subnet {}: the prefix length must be between {} and {}", cidr, kMinPrefix, kMaxPrefix));
  Subnet s{0, prefix};
  s.network = addr & s.mask();
  if (s.network != addr)
    fail(Code::InvalidArgument, fmt::format("subnet {} has host bits set (did you mean {}?)", cidr, s.to_string()));
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
