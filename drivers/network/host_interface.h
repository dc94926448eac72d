#pragma once
// A private network's host side: when `machine` runs as root, the network's VDE switch gets
// a tap holding the subnet's first address, so the host reaches every VM on it (VirtualBox's
// host-only adapter). These are the pure parts: reading the host's IPv4 routes, choosing a
// subnet none of them overlaps, the host address and the tap's name.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "drivers/network/subnet.h"

namespace machine::drivers::network {

// Destinations of /proc/net/route's lines (the calling namespace's main IPv4 table).
// Default routes (prefix 0) are left out: they cover everything and are no reason to skip
// a subnet. Malformed lines are skipped.
std::vector<Subnet> parse_route_table(const std::string& proc_net_route);

bool overlaps(const Subnet& a, const Subnet& b);

// The first 192.168.<third>.0/24 from docker-machine's 192.168.99.0/24 upwards that overlaps
// neither another network of the store (`taken`) nor a route of the host (`routes`):
// a host interface on an overlapping subnet would hijack or lose the host's own traffic.
std::optional<Subnet> first_free_subnet(const std::vector<Subnet>& taken, const std::vector<Subnet>& routes);

// The address the host interface holds: the subnet's first host (machines start at .100).
std::uint32_t host_address(const Subnet& s);

// A tap name unique per network directory (IFNAMSIZ: at most 15 characters), so two stores
// with a network of the same name never share an interface: "mvde" + 8 hex digits.
std::string tap_name(const std::filesystem::path& network_dir);

}  // namespace machine::drivers::network
