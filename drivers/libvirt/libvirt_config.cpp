#include "drivers/libvirt/libvirt_config.h"

#include <fmt/format.h>

#include "drivers/common/vm_size.h"
#include "machine/error.h"

namespace machine::drivers::libvirt {
namespace {
using K = Flag::Kind;
}  // namespace

std::vector<Flag> libvirt_flags() {
  return {
      {"libvirt-uri", K::String,
       "libvirt connection URI (qemu:///system, qemu:///session, qemu+ssh://user@host/system)", "LIBVIRT_URI",
       "qemu:///system"},
      {"libvirt-memory", K::Int, "Size of memory for the VM in MB", "LIBVIRT_MEMORY", "1024"},
      {"libvirt-cpus", K::Int, "Number of virtual CPUs", "LIBVIRT_CPUS", "2"},
      {"libvirt-disk-size", K::Int, "Size of the disk for the VM in MB", "LIBVIRT_DISK_SIZE", "20000"},
      {"libvirt-pool", K::String, "Storage pool for the machine's volumes", "LIBVIRT_POOL", "default"},
      {"libvirt-network", K::String,
       "Named libvirt network for the NIC (must be active); default: user-mode networking with port forwards",
       "LIBVIRT_NETWORK", ""},
      {"libvirt-domain-type",
       K::String,
       "Domain type: auto, kvm or qemu (TCG software emulation)",
       "LIBVIRT_DOMAIN_TYPE",
       "auto",
       {"auto", "kvm", "qemu"}},
      {"libvirt-image", K::String,
       "Guest image: a machine OS image directory or a stock cloud image (qcow2); default: the machine OS",
       "LIBVIRT_IMAGE", ""},
      {"libvirt-restrict-network", K::Bool, "Isolate the guest: no outbound traffic, only the port forwards",
       "LIBVIRT_RESTRICT_NETWORK", "false"},
  };
}

void apply_flags(LibvirtConfig& c, const FlagValues& f) {
  if (f.has("libvirt-uri") && !f.string("libvirt-uri").empty()) c.uri = f.string("libvirt-uri");
  require_flag(c.uri.find(':') != std::string::npos, "libvirt-uri", c.uri,
               "not a libvirt URI (e.g. qemu:///system)");
  common::apply_size_flags(f, "libvirt", c.memory_mb, c.cpus, c.disk_size_mb);
  if (f.has("libvirt-pool") && !f.string("libvirt-pool").empty()) c.pool = f.string("libvirt-pool");
  if (f.has("libvirt-network")) c.network = f.string("libvirt-network");
  if (f.has("libvirt-domain-type") && !f.string("libvirt-domain-type").empty()) {
    auto t = f.string("libvirt-domain-type");
    require_flag(t == "auto" || t == "kvm" || t == "qemu", "libvirt-domain-type", t,
                 "use one of auto, kvm, qemu");
    c.domain_type_requested = t;
  }
  if (f.has("libvirt-image")) c.image = f.string("libvirt-image");
  if (f.has("libvirt-restrict-network")) c.restrict_network = f.boolean("libvirt-restrict-network");
}

nlohmann::json to_json(const LibvirtConfig& c) {
  nlohmann::json j = nlohmann::json::object();
  c.base.write(j);
  j["URI"] = c.uri;
  j["Memory"] = c.memory_mb;
  j["CPU"] = c.cpus;
  j["DiskSize"] = c.disk_size_mb;
  j["StoragePool"] = c.pool;
  j["Network"] = c.network;
  j["DomainTypeRequested"] = c.domain_type_requested;
  j["DomainType"] = c.domain_type;
  j["ImagePath"] = c.image;
  j["RestrictNetwork"] = c.restrict_network;
  j["ForwardBind"] = c.forward_bind;
  j["EnginePort"] = c.engine_port;
  j["DomainUUID"] = c.domain_uuid;
  j["DiskVolume"] = c.disk_volume;
  j["SeedVolume"] = c.seed_volume;
  j["BaseVolume"] = c.base_volume;
  j["KernelVolume"] = c.kernel_volume;
  j["InitrdVolume"] = c.initrd_volume;
  j["ConsoleVolume"] = c.console_volume;
  j["HostKeys"] = c.host_keys;
  return j;
}

LibvirtConfig libvirt_config_from_json(const nlohmann::json& j) {
  LibvirtConfig c;
  c.base.read(j);
  read_field(j, "URI", c.uri);
  read_field(j, "Memory", c.memory_mb);
  read_field(j, "CPU", c.cpus);
  read_field(j, "DiskSize", c.disk_size_mb);
  read_field(j, "StoragePool", c.pool);
  read_field(j, "Network", c.network);
  read_field(j, "DomainTypeRequested", c.domain_type_requested);
  read_field(j, "DomainType", c.domain_type);
  read_field(j, "ImagePath", c.image);
  read_field(j, "RestrictNetwork", c.restrict_network);
  read_field(j, "ForwardBind", c.forward_bind);
  read_field(j, "EnginePort", c.engine_port);
  read_field(j, "DomainUUID", c.domain_uuid);
  read_field(j, "DiskVolume", c.disk_volume);
  read_field(j, "SeedVolume", c.seed_volume);
  read_field(j, "BaseVolume", c.base_volume);
  read_field(j, "KernelVolume", c.kernel_volume);
  read_field(j, "InitrdVolume", c.initrd_volume);
  read_field(j, "ConsoleVolume", c.console_volume);
  read_field(j, "HostKeys", c.host_keys);
  return c;
}

std::string uri_host(const std::string& uri) {
  auto start = uri.find("://");
  if (start == std::string::npos) return "";
  auto rest = uri.substr(start + 3);
  rest = rest.substr(0, rest.find_first_of("/?"));
  if (auto at = rest.rfind('@'); at != std::string::npos) rest = rest.substr(at + 1);
  if (!rest.empty() && rest[0] == '[') {
    auto close = rest.find(']');
    return close == std::string::npos ? "" : rest.substr(1, close - 1);
  }
  auto colon = rest.rfind(':');
  return colon == std::string::npos ? rest : rest.substr(0, colon);
}

bool uri_is_remote(const std::string& uri) { return !uri_host(uri).empty(); }

bool is_loopback_host(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

}  // namespace machine::drivers::libvirt
