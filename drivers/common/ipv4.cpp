#include "drivers/common/ipv4.h"

#include <fmt/format.h>

#include <cctype>

namespace machine::drivers::common {

std::optional<std::uint32_t> parse_ipv4(std::string_view s) {
  std::uint32_t ip = 0;
  int parts = 0;
  size_t i = 0;
  while (parts < 4) {
    if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
    unsigned v = 0;
    size_t digits = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      v = v * 10 + static_cast<unsigned>(s[i++] - '0');
      if (++digits > 3 || v > 255) return std::nullopt;
    }
    ip = (ip << 8) | v;
    if (++parts < 4) {
      if (i >= s.size() || s[i] != '.') return std::nullopt;
      ++i;
    }
  }
  if (i != s.size()) return std::nullopt;
  return ip;
}

std::string format_ipv4(std::uint32_t ip) {
  return fmt::format("{}.{}.{}.{}", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

std::uint32_t prefix_mask(int prefix) {
  return prefix <= 0 ? 0 : prefix >= 32 ? 0xffffffffu : ~((1u << (32 - prefix)) - 1);
}

std::optional<int> mask_prefix(std::uint32_t mask) {
  for (int p = 0; p <= 32; ++p)
    if (prefix_mask(p) == mask) return p;
  return std::nullopt;
}

std::string Cidr::text() const { return fmt::format("{}/{}", format_ipv4(ip), prefix); }

std::optional<Cidr> parse_cidr(std::string_view s) {
  auto slash = s.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto ip = parse_ipv4(s.substr(0, slash));
  auto len = s.substr(slash + 1);
  if (!ip || len.empty() || len.size() > 2) return std::nullopt;
  int prefix = 0;
  for (char c : len) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    prefix = prefix * 10 + (c - '0');
  }
  if (prefix > 32) return std::nullopt;
  return Cidr{*ip, prefix};
}

}  // namespace machine::drivers::common
