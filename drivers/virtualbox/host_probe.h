#pragma once
// What the VirtualBox driver asks of the host besides VBoxManage: hardware virtualisation,
// Hyper-V, the host's networks (collision check), folders to share, CPU count and
// VirtualBox's /etc/vbox/networks.conf. An interface so unit tests stay hermetic.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "drivers/virtualbox/network.h"

namespace machine::drivers::virtualbox {

class HostProbe {
 public:
  virtual ~HostProbe() = default;
  virtual std::string os() = 0;                      // "linux", "darwin", "windows"
  virtual bool hw_virt_available() = 0;              // VT-x / AMD-V offered by the CPU
  virtual bool hyperv_enabled() = 0;                 // Windows hypervisor present
  virtual std::vector<HostNet> host_networks() = 0;  // IPv4, up, not loopback
  virtual bool is_directory(const std::filesystem::path& p) = 0;
  virtual int cpu_count() = 0;
  virtual std::optional<std::string> networks_conf() = 0;  // /etc/vbox/networks.conf
};

std::unique_ptr<HostProbe> make_system_host_probe();

}  // namespace machine::drivers::virtualbox
