#include "drivers/network/host_interface.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <sstream>

namespace machine::drivers::network {
namespace {

// /proc/net/route prints each address as the in-memory (network order) 32-bit word in hex.
bool parse_hex_address(const std::string& hex, std::uint32_t& out) {
  if (hex.size() != 8 || hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) return false;
  out = ntohl(static_cast<std::uint32_t>(std::stoul(hex, nullptr, 16)));
  return true;
}

int prefix_of(std::uint32_t mask) {
  int n = 0;
  while (n < 32 && (mask & (std::uint32_t{1} << (31 - n)))) ++n;
  return (n == 32 || (mask << n) == 0) ? n : -1;  // -1: not contiguous
}

}  // namespace

std::vector<Subnet> parse_route_table(const std::string& text) {
  std::vector<Subnet> out;
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string iface, dest, gateway, flags, refcnt, use, metric, mask;
    if (!(f >> iface >> dest >> gateway >> flags >> refcnt >> use >> metric >> mask)) continue;
    std::uint32_t d = 0, m = 0;
    if (!parse_hex_address(dest, d) || !parse_hex_address(mask, m)) continue;
    int prefix = prefix_of(m);
    if (prefix <= 0) continue;
    out.push_back(Subnet{d & m, prefix});
  }
  return out;
}

bool overlaps(const Subnet& a, const Subnet& b) { return a.contains(b.network) || b.contains(a.network); }

std::optional<Subnet> first_free_subnet(const std::vector<Subnet>& taken, const std::vector<Subnet>& routes) {
  auto base = parse_subnet(kDefaultSubnet);
  for (std::uint32_t third = (base.network >> 8) & 255; third <= 254; ++third) {
    Subnet s{(base.network & 0xffff0000u) | (third << 8), 24};
    auto hit = [&](const Subnet& t) { return overlaps(s, t); };
    if (std::none_of(taken.begin(), taken.end(), hit) && std::none_of(routes.begin(), routes.end(), hit))
      return s;
  }
  return std::nullopt;
}

std::uint32_t host_address(const Subnet& s) { return s.network + 1; }

std::string tap_name(const std::filesystem::path& network_dir) {
  std::uint32_t h = 2166136261u;  // FNV-1a: stable across runs and builds
  for (unsigned char c : network_dir.lexically_normal().string()) h = (h ^ c) * 16777619u;
  return fmt::format("mvde{:08x}", h);
}

}  // namespace machine::drivers::network
