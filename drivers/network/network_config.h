#pragma once
// A private network's persisted state (<store>/networks/<name>/config.json) and the pure
// address bookkeeping on it: allocate (idempotent per machine, lowest free address first),
// release, and the JSON form.
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "drivers/network/subnet.h"

namespace machine::drivers::network {

struct Allocation {
  std::string ip;   // "192.168.99.100"
  std::string mac;  // mac_for(ip)
};

struct NetworkConfig {
  std::string name;
  Subnet subnet;
  std::map<std::string, Allocation> machines;  // by machine name
  // The host tap of the running switch holding host_address(subnet), empty when the
  // network is VM-to-VM only (not root, or the host interface could not be made).
  std::string host_interface;

  // "192.168.99.100/24" for a machine's allocation.
  std::string cidr(const Allocation& a) const { return a.ip + "/" + std::to_string(subnet.prefix); }
};

// The machine's allocation: its existing one, else `preferred` when that is a free address
// of the range (a machine re-claiming its address after `network rm -f`), else the lowest
// free one. Throws Error(FailedPrecondition) when the range is exhausted, and
// Error(InvalidArgument) when `preferred` lies outside the subnet.
Allocation allocate(NetworkConfig& net, const std::string& machine, const std::string& preferred = "");

// Forgets the machine's allocation; true when it had one.
bool release(NetworkConfig& net, const std::string& machine);

// Machine names, sorted.
std::vector<std::string> machine_names(const NetworkConfig& net);

nlohmann::json to_json(const NetworkConfig& net);
// Throws Error(InvalidArgument) on a malformed file (bad subnet, address outside it).
NetworkConfig network_config_from_json(const nlohmann::json& j);

// Names of networks and machines share a rule: [A-Za-z0-9][A-Za-z0-9._-]*, at most 64
// characters (the name becomes a directory and part of a unix socket path).
bool valid_network_name(const std::string& name);

}  // namespace machine::drivers::network
