#pragma once
// The libvirt driver's settings: create flags (LIBVIRT_* env fallbacks), validation, and
// the persisted form (config.json's "Driver" object: docker-machine's base fields + ours).
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "drivers/base.h"
#include "drivers/driver.h"

namespace machine::drivers::libvirt {

struct LibvirtConfig {
  BaseConfig base;  // IPAddress + SSHPort: where SSH is reached
  std::string uri = "qemu:///system";
  int memory_mb = 1024;
  int cpus = 2;
  int disk_size_mb = 20000;
  std::string pool = "default";                // storage pool for every volume
  std::string network;                         // named libvirt network; "" = user-mode networking
  std::string domain_type_requested = "auto";  // auto | kvm | qemu
  std::string domain_type = "qemu";            // what prepare() chose
  std::string image;                           // --libvirt-image ("" = the machine OS)
  bool restrict_network = false;               // user networking restrict=on
  std::string forward_bind = "127.0.0.1";      // host address the port forwards listen on
  int engine_port = 0;                         // host port -> guest 2376 (user networking)
  // Resolved at create, so later starts define nothing new. The UUID and the per-machine
  // volume names are chosen in prepare() and saved before create makes them (write-ahead).
  std::string domain_uuid;  // of the domain create defines; remove touches no other
  std::string disk_volume;  // per-machine qcow2 overlay
  std::string seed_volume;  // per-machine NoCloud ISO
  std::string base_volume;  // shared, uploaded once per image
  std::string kernel_volume;
  std::string initrd_volume;
  std::string console_volume;          // per-machine serial console log, read via the storage API
  std::vector<std::string> host_keys;  // from the serial console at first boot
};

std::vector<Flag> libvirt_flags();

// Applies flag values to `c`, validating each; throws Error(InvalidArgument) naming the flag.
void apply_flags(LibvirtConfig& c, const FlagValues& flags);

nlohmann::json to_json(const LibvirtConfig& c);
LibvirtConfig libvirt_config_from_json(const nlohmann::json& j);

// Host part of a libvirt URI ("" for local URIs like qemu:///system).
std::string uri_host(const std::string& uri);
// True for URIs naming a host (qemu+ssh://user@host/system); 127.0.0.1/localhost too.
bool uri_is_remote(const std::string& uri);
bool is_loopback_host(const std::string& host);

}  // namespace machine::drivers::libvirt
