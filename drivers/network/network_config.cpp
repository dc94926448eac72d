#include "drivers/network/network_config.h"

#include <fmt/format.h>

#include <cctype>
#include <set>

#include "machine/error.h"

namespace machine::drivers::network {

Allocation allocate(NetworkConfig& net, const std::string& machine, const std::string& preferred) {
  if (auto it = net.machines.find(machine); it != net.machines.end()) return it->second;
  std::set<std::uint32_t> used;
  for (const auto& [name, a] : net.machines) used.insert(parse_ipv4(a.ip));
  auto range = machine_range(net.subnet);
  std::optional<std::uint32_t> chosen;
  if (!preferred.empty()) {
    auto p = parse_ipv4(preferred);
    if (!net.subnet.contains(p))
      fail(Code::InvalidArgument, fmt::format("address {} is outside network '{}' ({})", preferred, net.name,
                                              net.subnet.to_string()));
    if (p >= range.first && p <= range.last && !used.count(p)) chosen = p;
  }
  for (auto a = range.first; !chosen && a <= range.last; ++a)
    if (!used.count(a)) chosen = a;
  if (!chosen)
    fail(Code::FailedPrecondition,
         fmt::format("network '{}' has no free address left in {} ({} machines use {} to {})", net.name,
                     net.subnet.to_string(), net.machines.size(), format_ipv4(range.first),
                     format_ipv4(range.last)));
  Allocation a{format_ipv4(*chosen), mac_for(*chosen)};
  net.machines[machine] = a;
  return a;
}

bool release(NetworkConfig& net, const std::string& machine) { return net.machines.erase(machine) > 0; }

std::vector<std::string> machine_names(const NetworkConfig& net) {
  std::vector<std::string> names;
  for (const auto& [name, a] : net.machines) names.push_back(name);
  return names;  // std::map keeps them sorted
}

nlohmann::json to_json(const NetworkConfig& net) {
  nlohmann::json machines = nlohmann::json::object();
  for (const auto& [name, a] : net.machines) machines[name] = {{"IPAddress", a.ip}, {"MACAddress", a.mac}};
  nlohmann::json j = {
      {"Name", net.name}, {"Driver", "vde"}, {"Subnet", net.subnet.to_string()}, {"Machines", machines}};
  if (!net.host_interface.empty()) j["HostInterface"] = net.host_interface;
  return j;
}

NetworkConfig network_config_from_json(const nlohmann::json& j) {
  if (!j.is_object()) fail(Code::InvalidArgument, "not a JSON object");
  NetworkConfig net;
  net.name = j.value("Name", "");
  net.subnet = parse_subnet(j.value("Subnet", ""));
  net.host_interface = j.value("HostInterface", "");
  if (auto it = j.find("Machines"); it != j.end() && it->is_object()) {
    for (const auto& [name, m] : it->items()) {
      Allocation a{m.value("IPAddress", ""), m.value("MACAddress", "")};
      if (!net.subnet.contains(parse_ipv4(a.ip)))
        fail(Code::InvalidArgument,
             fmt::format("machine '{}' has address {} outside {}", name, a.ip, net.subnet.to_string()));
      if (a.mac.empty()) a.mac = mac_for(parse_ipv4(a.ip));
      net.machines[name] = a;
    }
  }
  return net;
}

bool valid_network_name(const std::string& name) {
  if (name.empty() || name.size() > 64 || !std::isalnum(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') return false;
  return true;
}

}  // namespace machine::drivers::network
