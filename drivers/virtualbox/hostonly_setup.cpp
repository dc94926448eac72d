#include "drivers/virtualbox/hostonly_setup.h"

#include <fmt/format.h>

#include <regex>

#include "machine/error.h"

namespace machine::drivers::virtualbox {
namespace {

std::vector<HostOnlyIf> list_adapters(VBoxManage& vbm) {
  return parse_hostonlyifs(vbm.run({"list", "hostonlyifs"}).out);
}

std::vector<DhcpServer> list_dhcp(VBoxManage& vbm) {
  return parse_dhcpservers(vbm.run({"list", "dhcpservers"}).out);
}

const HostOnlyIf* by_name(const std::vector<HostOnlyIf>& ifs, const std::string& name) {
  for (const auto& i : ifs)
    if (i.name == name) return &i;
  return nullptr;
}

HostOnlyResult create_adapter(VBoxManage& vbm, const Cidr& cidr, const std::vector<HostOnlyIf>& before,
                              const HostOnlyOptions& opts) {
  auto r = vbm.try_run({"hostonlyif", "create"});
  std::string name;
  static const std::regex created(R"(Interface '(.+)' was successfully created)");
  std::smatch m;
  if (r.ok() && std::regex_search(r.out, m, created)) name = m[1];
  // VirtualBox ticket 14040: creation can report failure yet create the adapter, and a new
  // adapter can take a while to be listed; poll like docker-machine (10 x 1 s).
  std::vector<HostOnlyIf> now;
  for (int i = 0; i < 10; ++i) {
    now = list_adapters(vbm);
    const HostOnlyIf* found = nullptr;
    for (const auto& n : now)
      if (!by_name(before, n.name) && (name.empty() || n.name == name)) found = &n;
    if (found) {
      name = found->name;
      break;
    }
    name.clear();
    if (i + 1 < 10 && opts.sleep) opts.sleep(std::chrono::seconds(1));
  }
  if (name.empty()) {
    VBoxManage::check({"hostonlyif", "create"}, r);  // VBoxManage's own words first
    fail(Code::Internal, std::string(kErrNewHostOnlyAdapterNotVisible));
  }
  vbm.run(
      {"hostonlyif", "ipconfig", name, "--ip", format_ipv4(cidr.ip), "--netmask", format_ipv4(cidr.mask())});
  return HostOnlyResult{name, true, std::nullopt};
}

}  // namespace

HostOnlyResult setup_hostonly_network(VBoxManage& vbm, const Cidr& cidr, const HostOnlyOptions& opts) {
  auto adapters = list_adapters(vbm);
  if (collides_with_host(cidr, opts.host_nets, adapters))
    fail(Code::FailedPrecondition, std::string(kErrNetworkAddrCollision));

  HostOnlyResult result;
  if (const auto* found = find_hostonly_adapter(adapters, cidr)) {
    result.adapter = found->name;
  } else {
    result = create_adapter(vbm, cidr, adapters, opts);
    adapters = list_adapters(vbm);
  }

  // Orphan DHCP servers (their adapter is gone) confuse VirtualBox; docker-machine removes them.
  auto servers = list_dhcp(vbm);
  for (const auto& s : servers) {
    if (s.network_name.rfind(kDhcpPrefix, 0) != 0) continue;
    bool has_adapter = false;
    for (const auto& a : adapters) has_adapter |= a.network_name == s.network_name;
    if (!has_adapter) vbm.try_run({"dhcpserver", "remove", "--netname", s.network_name});
  }

  std::string netname = std::string(kDhcpPrefix) + result.adapter;
  std::optional<DhcpServer> current;
  for (const auto& s : servers)
    if (s.network_name == netname) current = s;
  if (current && current->enabled == opts.dhcp && current->mask == cidr.mask() &&
      cidr.contains(current->ip) && current->ip != cidr.ip) {
    result.dhcp = current;
    return result;
  }
  auto addr = dhcp_server_address(
      cidr, opts.random ? opts.random : [](int) { return 5; });
  if (!addr) fail(Code::Internal, "unable to generate random IP");
  auto [lower, upper] = dhcp_range(*addr, cidr);
  vbm.run({"dhcpserver", current ? "modify" : "add", "--netname", netname, "--ip", format_ipv4(*addr),
           "--netmask", format_ipv4(cidr.mask()), "--lowerip", format_ipv4(lower), "--upperip",
           format_ipv4(upper), opts.dhcp ? "--enable" : "--disable"});
  result.dhcp = DhcpServer{netname, *addr, cidr.mask(), lower, upper, opts.dhcp};
  return result;
}

std::optional<DhcpServer> existing_dhcp_server(VBoxManage& vbm, const Cidr& cidr) {
  auto adapters = list_adapters(vbm);
  const auto* found = find_hostonly_adapter(adapters, cidr);
  if (!found) return std::nullopt;
  for (const auto& s : list_dhcp(vbm))
    if (s.network_name == found->network_name) return s;
  return std::nullopt;
}

bool remove_hostonly_if_unused(VBoxManage& vbm, const std::string& adapter) {
  auto vms = vbm.try_run({"list", "vms"});
  if (!vms.ok()) return false;
  static const std::regex line(R"re("(.*)" \{([0-9a-fA-F-]+)\})re");
  for (auto it = std::sregex_iterator(vms.out.begin(), vms.out.end(), line); it != std::sregex_iterator();
       ++it) {
    auto info = vbm.try_run({"showvminfo", (*it)[2].str(), "--machinereadable"});
    if (!info.ok()) return false;  // cannot tell: keep the adapter
    for (const auto& [k, v] : parse_machine_readable(info.out))
      if (k.rfind("hostonlyadapter", 0) == 0 && v == adapter) return false;
  }
  vbm.try_run({"dhcpserver", "remove", "--netname", std::string(kDhcpPrefix) + adapter});
  return vbm.try_run({"hostonlyif", "remove", adapter}).ok();
}

}  // namespace machine::drivers::virtualbox
