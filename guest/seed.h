#pragma once
// The NoCloud first-boot seed: an ISO 9660 volume labelled "cidata" with meta-data,
// user-data (#cloud-config) and, for a private NIC, network-config (version 2). Machine OS
// reads the documented subset (guest/README.md); stock cloud images run cloud-init on it.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "machine/process_runner.h"

namespace machine::guest {

struct WriteFile {
  std::string path;  // absolute path in the guest
  std::string content;
  std::string permissions = "0644";  // octal
  std::string owner = "root:root";
  // Written as `encoding: b64` (always safe); when false, text that ends in a newline is
  // written as a YAML literal block instead (readable in the ISO). Other text stays b64.
  bool b64 = true;
};

// A second NIC with a static address on a private VM-to-VM network.
struct PrivateNetwork {
  std::string address_cidr;  // "192.168.76.2/24"
  std::string mac;           // the NIC's MAC: how the guest tells it from the NAT NIC
  std::string primary_mac;   // optional: the NAT NIC's MAC (cloud-init needs it for DHCP)
};

struct SeedConfig {
  std::string instance_id;  // a new id re-runs the per-instance parts (keys, write_files)
  std::string hostname;
  std::vector<std::string> ssh_authorized_keys;  // for the default user (`docker`)
  std::vector<WriteFile> write_files;
  std::vector<std::string> users;  // extra users, by name only
  std::optional<PrivateNetwork> private_network;
};

// File name -> content: "meta-data", "user-data", and "network-config" when a private
// network is set. Throws Error(InvalidArgument) for values the subset cannot carry.
std::map<std::string, std::string> seed_files(const SeedConfig& config);

// Writes the seed as an ISO (xorriso) to `iso`, atomically (temp file + rename).
void write_seed_iso(ProcessRunner& runner, const SeedConfig& config, const std::filesystem::path& iso);

}  // namespace machine::guest
