#include "drivers/virtualbox/network.h"

#include <fmt/format.h>

#include <map>
#include <sstream>

#include "machine/error.h"

namespace machine::drivers::virtualbox {
namespace {

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

// Calls f(key, value, indented) for every "Key: value" line.
template <typename F>
void for_each_colon_line(std::string_view output, F&& f) {
  std::istringstream in{std::string(output)};
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    bool indented = !line.empty() && std::isspace(static_cast<unsigned char>(line[0]));
    f(trim(line.substr(0, colon)), trim(line.substr(colon + 1)), indented);
  }
}

uint32_t ip_or_zero(const std::string& s) { return parse_ipv4(s).value_or(0); }

}  // namespace

Cidr parse_hostonly_cidr(std::string_view s) {
  auto cidr = common::parse_cidr(s);
  if (!cidr) fail(Code::InvalidArgument, fmt::format("invalid CIDR address: {}", s));
  if (cidr->ip == cidr->network()) fail(Code::InvalidArgument, std::string(kErrNetworkAddrCidr));
  return *cidr;
}

std::vector<HostOnlyIf> parse_hostonlyifs(std::string_view output) {
  std::vector<HostOnlyIf> ifs;
  HostOnlyIf cur;
  std::map<std::string, int> by_name, by_ip;
  for_each_colon_line(output, [&](const std::string& key, const std::string& val, bool) {
    if (key == "Name")
      cur.name = val;
    else if (key == "IPAddress")
      cur.ip = ip_or_zero(val);
    else if (key == "NetworkMask")
      cur.mask = ip_or_zero(val);
    else if (key == "VBoxNetworkName") {
      // The last field of a block, as in docker-machine's parser.
      cur.network_name = val;
      if (by_name[val]++)
        fail(Code::FailedPrecondition,
             fmt::format(
                 "VirtualBox is configured with multiple host-only adapters with the same name \"{}\". "
                 "Please remove one",
                 val));
      if (cur.ip != 0 && by_ip[format_ipv4(cur.ip)]++)
        fail(Code::FailedPrecondition,
             fmt::format("VirtualBox is configured with multiple host-only adapters with the same IP \"{}\". "
                         "Please remove one",
                         format_ipv4(cur.ip)));
      ifs.push_back(cur);
      cur = HostOnlyIf{};
    }
  });
  return ifs;
}

const HostOnlyIf* find_hostonly_adapter(const std::vector<HostOnlyIf>& ifs, const Cidr& cidr) {
  constexpr uint32_t kBuggyNetmask = 0x0f000000;
  for (const auto& n : ifs)
    if (n.ip == cidr.ip && (n.mask == cidr.mask() || n.mask == kBuggyNetmask)) return &n;
  return nullptr;
}

std::vector<DhcpServer> parse_dhcpservers(std::string_view output) {
  std::vector<DhcpServer> servers;
  for_each_colon_line(output, [&](const std::string& key, const std::string& val, bool indented) {
    if (indented) return;  // 6.1+ option blocks ("    minLeaseTime: ...")
    if (key == "NetworkName") {
      servers.push_back(DhcpServer{});
      servers.back().network_name = val;
      return;
    }
    if (servers.empty()) return;
    auto& d = servers.back();
    if (key == "IP" || key == "Dhcpd IP")
      d.ip = ip_or_zero(val);
    else if (key == "NetworkMask")
      d.mask = ip_or_zero(val);
    else if (key == "lowerIPAddress" || key == "LowerIPAddress")
      d.lower = ip_or_zero(val);
    else if (key == "upperIPAddress" || key == "UpperIPAddress")
      d.upper = ip_or_zero(val);
    else if (key == "Enabled")
      d.enabled = val == "Yes";
  });
  return servers;
}

std::pair<uint32_t, uint32_t> dhcp_range(uint32_t dhcp_ip, const Cidr& cidr) {
  uint32_t net = cidr.network();
  if (cidr.prefix <= 24) {
    uint32_t base = net & 0xffffff00u;
    return {base | 100, base | 254};
  }
  // docker-machine keeps only the last octet arithmetic here (prefixes above 24).
  uint32_t base = net & 0xffffff00u;
  uint32_t lower = base | ((dhcp_ip + 1) & 255);
  uint32_t upper = base | (((1u << (32 - cidr.prefix)) - 2) & 255);
  return {lower, upper};
}

std::optional<uint32_t> dhcp_server_address(const Cidr& cidr, const std::function<int(int)>& random) {
  for (int i = 0; i < 5; ++i) {
    uint32_t n = static_cast<uint32_t>(random(24) + 1);
    if (n != (cidr.ip & 255)) return (cidr.ip & 0xffffff00u) | n;
  }
  return std::nullopt;
}

bool collides_with_host(const Cidr& cidr, const std::vector<HostNet>& host_nets,
                        const std::vector<HostOnlyIf>& hostonly) {
  for (const auto& h : host_nets) {
    uint32_t mask = prefix_mask(h.prefix);
    bool is_hostonly = false;
    for (const auto& v : hostonly) is_hostonly |= v.ip == h.ip && v.mask == mask;
    if (is_hostonly) continue;
    if (cidr.network() == (h.ip & mask)) return true;
  }
  return false;
}

bool static_address_usable(uint32_t a, const Cidr& cidr, const std::optional<DhcpServer>& dhcp,
                           const std::set<uint32_t>& used) {
  if (!cidr.contains(a) || a == cidr.network() || a == cidr.broadcast() || a == cidr.ip || used.count(a))
    return false;
  if (dhcp && a == dhcp->ip) return false;
  if (dhcp && dhcp->enabled && a >= dhcp->lower && a <= dhcp->upper) return false;
  return true;
}

uint32_t choose_static_address(const Cidr& cidr, const std::optional<DhcpServer>& dhcp,
                               const std::set<uint32_t>& used) {
  uint64_t size = uint64_t{1} << (32 - cidr.prefix);
  auto usable = [&](uint32_t a) { return static_address_usable(a, cidr, dhcp, used); };
  for (uint64_t off = 25; off + 1 < size; ++off)
    if (usable(cidr.network() + static_cast<uint32_t>(off)))
      return cidr.network() + static_cast<uint32_t>(off);
  for (uint64_t off = 1; off < 25 && off + 1 < size; ++off)
    if (usable(cidr.network() + static_cast<uint32_t>(off)))
      return cidr.network() + static_cast<uint32_t>(off);
  fail(Code::Unavailable,
       fmt::format("no free address left for the machine on host-only network {}", cidr.text()));
}

std::vector<Cidr> allowed_hostonly_ranges(const std::optional<std::string>& networks_conf) {
  if (!networks_conf) return {Cidr{parse_ipv4("192.168.56.0").value(), 21}};
  std::vector<Cidr> out;
  std::istringstream in(*networks_conf);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string star, net;
    if (!(words >> star) || star != "*") continue;
    while (words >> net) {
      auto slash = net.find('/');
      auto ip = parse_ipv4(net.substr(0, slash));
      if (!ip) continue;  // IPv6 ranges
      int prefix = slash == std::string::npos ? 32 : std::atoi(net.c_str() + slash + 1);
      out.push_back(Cidr{*ip & prefix_mask(prefix), prefix});
    }
  }
  return out;
}

bool cidr_allowed(const Cidr& cidr, const std::vector<Cidr>& allowed) {
  for (const auto& a : allowed)
    if (a.prefix <= cidr.prefix && (cidr.network() & a.mask()) == a.network()) return true;
  return false;
}

}  // namespace machine::drivers::virtualbox
