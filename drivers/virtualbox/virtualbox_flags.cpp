// Flags (docker-machine's names, env vars and defaults), their validation, and the
// config.json fields of the VirtualBox driver.
#include <fmt/format.h>

#include <algorithm>

#include "drivers/virtualbox/virtualbox_driver.h"
#include "machine/error.h"

namespace machine::drivers {
namespace {

using K = Flag::Kind;

void require_one_of(const std::string& flag, const std::string& value,
                    std::initializer_list<const char*> allowed) {
  for (const char* a : allowed)
    if (value == a) return;
  std::string list;
  for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
  require_flag(false, flag, value, "must be one of " + list);
}

constexpr std::initializer_list<const char*> kNicTypes = {"82540EM",   "82543GC",  "82545EM",
                                                          "Am79C970A", "Am79C973", "virtio"};

}  // namespace

// NIC types default to virtio, not docker-machine's 82540EM: the machine OS kernel
// (linux-image-cloud-amd64) has no e1000 driver. 82540EM stays available for other images.
std::vector<Flag> VirtualBoxDriver::flags() {
  return {
      {"virtualbox-memory", K::Int, "Size of memory for host in MB", "VIRTUALBOX_MEMORY_SIZE", "1024"},
      {"virtualbox-cpu-count", K::Int,
       "number of CPUs for the machine (-1 to use the number of CPUs available)", "VIRTUALBOX_CPU_COUNT",
       "1"},
      {"virtualbox-disk-size", K::Int, "Size of disk for host in MB", "VIRTUALBOX_DISK_SIZE", "20000"},
      {"virtualbox-boot2docker-url", K::String,
       "A local disk image (path or file:// URL) to boot instead of the machine OS; other URLs are ignored",
       "VIRTUALBOX_BOOT2DOCKER_URL", ""},
      {"virtualbox-host-dns-resolver", K::Bool, "Use the host DNS resolver", "VIRTUALBOX_HOST_DNS_RESOLVER",
       "false"},
      {"virtualbox-nat-nictype", K::String, "Specify the Network Adapter Type", "VIRTUALBOX_NAT_NICTYPE",
       "virtio"},
      {"virtualbox-hostonly-cidr", K::String, "Specify the Host Only CIDR", "VIRTUALBOX_HOSTONLY_CIDR",
       "192.168.99.1/24"},
      {"virtualbox-hostonly-nictype", K::String, "Specify the Host Only Network Adapter Type",
       "VIRTUALBOX_HOSTONLY_NIC_TYPE", "virtio"},
      {"virtualbox-hostonly-nicpromisc", K::String, "Specify the Host Only Network Adapter Promiscuous Mode",
       "VIRTUALBOX_HOSTONLY_NIC_PROMISC", "deny"},
      {"virtualbox-ui-type",
       K::String,
       "Specify the UI Type: (gui|sdl|headless|separate)",
       "VIRTUALBOX_UI_TYPE",
       "headless",
       {"gui", "sdl", "headless", "separate"}},
      {"virtualbox-hostonly-no-dhcp", K::Bool, "Disable the Host Only DHCP Server",
       "VIRTUALBOX_HOSTONLY_NO_DHCP", "false"},
      {"virtualbox-no-share", K::Bool, "Disable the mount of your home directory", "VIRTUALBOX_NO_SHARE",
       "false"},
      {"virtualbox-no-dns-proxy", K::Bool, "Disable proxying all DNS requests to the host",
       "VIRTUALBOX_NO_DNS_PROXY", "false"},
      {"virtualbox-no-vtx-check", K::Bool,
       "Disable checking for the availability of hardware virtualization before the vm is started",
       "VIRTUALBOX_NO_VTX_CHECK", "false"},
      {"virtualbox-share-folder", K::String,
       "Mount the specified directory instead of the default home location. Format: dir:name",
       "VIRTUALBOX_SHARE_FOLDER", ""},
  };
}

void VirtualBoxDriver::configure(const FlagValues& flags) {
  auto str = [&](const char* name, const std::string& def) {
    return flags.has(name) ? flags.string(name) : def;
  };
  auto num = [&](const char* name, int def) { return flags.has(name) ? flags.integer(name) : def; };
  VirtualBoxConfig c = config_;
  c.memory = num("virtualbox-memory", 1024);
  c.cpu = num("virtualbox-cpu-count", 1);
  c.disk_size = num("virtualbox-disk-size", 20000);
  c.boot2docker_url = str("virtualbox-boot2docker-url", "");
  c.host_dns_resolver = flags.boolean("virtualbox-host-dns-resolver");
  c.nat_nic_type = str("virtualbox-nat-nictype", "virtio");
  c.hostonly_cidr = str("virtualbox-hostonly-cidr", "192.168.99.1/24");
  c.hostonly_nic_type = str("virtualbox-hostonly-nictype", "virtio");
  c.hostonly_promisc = str("virtualbox-hostonly-nicpromisc", "deny");
  c.ui_type = str("virtualbox-ui-type", "headless");
  c.hostonly_no_dhcp = flags.boolean("virtualbox-hostonly-no-dhcp");
  c.no_share = flags.boolean("virtualbox-no-share");
  c.dns_proxy = !flags.boolean("virtualbox-no-dns-proxy");
  c.no_vtx_check = flags.boolean("virtualbox-no-vtx-check");
  c.share_folder = str("virtualbox-share-folder", "");

  require_flag(c.memory > 0, "virtualbox-memory", std::to_string(c.memory), "must be positive");
  require_flag(c.disk_size > 0, "virtualbox-disk-size", std::to_string(c.disk_size), "must be positive");
  require_flag(c.cpu >= -1, "virtualbox-cpu-count", std::to_string(c.cpu), "must be -1 or positive");
  require_one_of("virtualbox-nat-nictype", c.nat_nic_type, kNicTypes);
  require_one_of("virtualbox-hostonly-nictype", c.hostonly_nic_type, kNicTypes);
  require_one_of("virtualbox-hostonly-nicpromisc", c.hostonly_promisc, {"deny", "allow-vms", "allow-all"});
  require_one_of("virtualbox-ui-type", c.ui_type, {"gui", "sdl", "headless", "separate"});
  require_flag(c.share_folder.empty() || c.share_folder.find(':') != std::string::npos,
               "virtualbox-share-folder", c.share_folder, "expected dir:name");
  virtualbox::parse_hostonly_cidr(c.hostonly_cidr);  // docker-machine's CIDR errors
  c.base.ssh_user = "docker";
  config_ = c;
}

nlohmann::json VirtualBoxConfig::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  base.write(j);
  j["CPU"] = cpu;
  j["Memory"] = memory;
  j["DiskSize"] = disk_size;
  j["NatNicType"] = nat_nic_type;
  j["Boot2DockerURL"] = boot2docker_url;
  j["Boot2DockerImportVM"] = "";
  j["HostDNSResolver"] = host_dns_resolver;
  j["HostOnlyCIDR"] = hostonly_cidr;
  j["HostOnlyNicType"] = hostonly_nic_type;
  j["HostOnlyPromiscMode"] = hostonly_promisc;
  j["UIType"] = ui_type;
  j["HostOnlyNoDHCP"] = hostonly_no_dhcp;
  j["NoShare"] = no_share;
  j["DNSProxy"] = dns_proxy;
  j["NoVTXCheck"] = no_vtx_check;
  j["ShareFolder"] = share_folder;
  j["EnginePort"] = engine_port;
  j["NatMAC"] = nat_mac;
  j["HostOnlyMAC"] = hostonly_mac;
  j["HostOnlyAdapter"] = hostonly_adapter;
  j["HostOnlyCreated"] = hostonly_created;
  if (!vm_uuid.empty()) j["VMUUID"] = vm_uuid;
  return j;
}

void VirtualBoxConfig::from_json(const nlohmann::json& j) {
  base.read(j);
  read_field(j, "CPU", cpu);
  read_field(j, "Memory", memory);
  read_field(j, "DiskSize", disk_size);
  read_field(j, "NatNicType", nat_nic_type);
  read_field(j, "Boot2DockerURL", boot2docker_url);
  read_field(j, "HostDNSResolver", host_dns_resolver);
  read_field(j, "HostOnlyCIDR", hostonly_cidr);
  if (hostonly_cidr.empty()) hostonly_cidr = "192.168.99.1/24";  // docker-machine 0.2 configs
  read_field(j, "HostOnlyNicType", hostonly_nic_type);
  read_field(j, "HostOnlyPromiscMode", hostonly_promisc);
  read_field(j, "UIType", ui_type);
  read_field(j, "HostOnlyNoDHCP", hostonly_no_dhcp);
  read_field(j, "NoShare", no_share);
  read_field(j, "DNSProxy", dns_proxy);
  read_field(j, "NoVTXCheck", no_vtx_check);
  read_field(j, "ShareFolder", share_folder);
  read_field(j, "EnginePort", engine_port);
  read_field(j, "NatMAC", nat_mac);
  read_field(j, "HostOnlyMAC", hostonly_mac);
  read_field(j, "HostOnlyAdapter", hostonly_adapter);
  read_field(j, "HostOnlyCreated", hostonly_created);
  read_field(j, "VMUUID", vm_uuid);
}

}  // namespace machine::drivers
