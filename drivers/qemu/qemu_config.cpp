#include "drivers/qemu/qemu_config.h"

#include <fmt/format.h>

#include "drivers/common/vm_size.h"
#include "drivers/network/network_config.h"
#include "drivers/network/network_store.h"
#include "machine/error.h"

namespace machine::drivers::qemu {
namespace {
using K = Flag::Kind;
}  // namespace

std::vector<Flag> qemu_flags() {
  return {
      {"qemu-memory", K::Int, "Size of memory for the VM in MB", "QEMU_MEMORY", "1024"},
      {"qemu-cpus", K::Int, "Number of virtual CPUs", "QEMU_CPUS", "2"},
      {"qemu-disk-size", K::Int, "Size of the disk for the VM in MB", "QEMU_DISK_SIZE", "20000"},
      {"qemu-image", K::String,
       "Guest image: a machine OS image directory or a stock cloud image (qcow2/raw); default: the machine "
       "OS",
       "QEMU_IMAGE", ""},
      {"qemu-accel",
       K::String,
       "Accelerator: auto, kvm, hvf, whpx or tcg",
       "QEMU_ACCEL",
       "auto",
       {"auto", "kvm", "hvf", "whpx", "tcg"}},
      {"qemu-binary", K::String, "QEMU system emulator to run", "QEMU_BINARY", "qemu-system-x86_64"},
      {"qemu-restrict-network", K::Bool, "Isolate the guest: no outbound traffic, only the port forwards",
       "QEMU_RESTRICT_NETWORK", "false"},
      {"qemu-network", K::String,
       "Private network shared by the machines given the same name (VM-to-VM over a VDE switch, e.g. for "
       "swarm)",
       "QEMU_NETWORK", ""},
      {"qemu-network-subnet", K::String,
       "Subnet of a new --qemu-network (default: 192.168.99.0/24, or the next free /24)",
       "QEMU_NETWORK_SUBNET", ""},
      {"qemu-publish-address", K::String,
       "Host address containers' published ports are forwarded from (0.0.0.0: every interface)",
       "QEMU_PUBLISH_ADDRESS", kDefaultPublishAddress},
  };
}

void apply_flags(QemuConfig& c, const FlagValues& f, long host_memory_mb) {
  common::apply_size_flags(f, "qemu", c.memory_mb, c.cpus, c.disk_size_mb, host_memory_mb);
  if (f.has("qemu-image")) c.image = f.string("qemu-image");
  if (f.has("qemu-accel") && !f.string("qemu-accel").empty()) {
    try {
      c.accel_requested = parse_accel(f.string("qemu-accel"));
    } catch (const Error& e) {
      throw e.with_context("--qemu-accel");
    }
  }
  if (f.has("qemu-binary") && !f.string("qemu-binary").empty()) c.binary = f.string("qemu-binary");
  if (f.has("qemu-restrict-network")) c.restrict_network = f.boolean("qemu-restrict-network");
  if (f.has("qemu-network")) {
    c.network = f.string("qemu-network");
    if (!c.network.empty())
      with_context("--qemu-network", [&] { network::require_valid_network_name(c.network); });
  }
  if (f.has("qemu-network-subnet") && !f.string("qemu-network-subnet").empty()) {
    c.network_subnet = with_context("--qemu-network-subnet", [&] {
      return network::parse_subnet(f.string("qemu-network-subnet")).to_string();
    });
    require_flag(!c.network.empty(), "qemu-network-subnet", c.network_subnet, "needs --qemu-network");
  }
  if (f.has("qemu-publish-address")) {
    c.publish_address = f.string("qemu-publish-address");
    require_publish_address(c.publish_address, "qemu-publish-address");
  }
}

nlohmann::json to_json(const QemuConfig& c) {
  nlohmann::json j = nlohmann::json::object();
  c.base.write(j);
  j["Memory"] = c.memory_mb;
  j["CPU"] = c.cpus;
  j["DiskSize"] = c.disk_size_mb;
  j["ImagePath"] = c.image;
  j["AccelRequested"] = std::string(accel_name(c.accel_requested));
  j["Accel"] = std::string(accel_name(c.accel));
  j["QemuBinary"] = c.binary;
  j["RestrictNetwork"] = c.restrict_network;
  j["EnginePort"] = c.engine_port;
  j["PublishAddress"] = c.publish_address;
  j["BaseDisk"] = c.base_disk;
  j["Kernel"] = c.kernel;
  j["Initrd"] = c.initrd;
  j["KernelCmdline"] = c.kernel_cmdline;
  j["PrivateNetwork"] = c.network;
  j["PrivateNetworkSubnet"] = c.network_subnet;
  j["PrivateIPAddress"] = c.private_ip;
  j["PrivateMACAddress"] = c.private_mac;
  j["VirtiofsMounts"] = mounts_to_json(c.virtiofs_mounts);
  return j;
}

QemuConfig qemu_config_from_json(const nlohmann::json& j) {
  QemuConfig c;
  c.base.read(j);
  read_field(j, "Memory", c.memory_mb);
  read_field(j, "CPU", c.cpus);
  read_field(j, "DiskSize", c.disk_size_mb);
  read_field(j, "ImagePath", c.image);
  std::string accel = "tcg", requested = "auto";
  read_field(j, "Accel", accel);
  read_field(j, "AccelRequested", requested);
  c.accel = parse_accel(accel);
  c.accel_requested = parse_accel(requested);
  read_field(j, "QemuBinary", c.binary);
  read_field(j, "RestrictNetwork", c.restrict_network);
  read_field(j, "EnginePort", c.engine_port);
  read_field(j, "PublishAddress", c.publish_address);
  read_field(j, "BaseDisk", c.base_disk);
  read_field(j, "Kernel", c.kernel);
  read_field(j, "Initrd", c.initrd);
  read_field(j, "KernelCmdline", c.kernel_cmdline);
  read_field(j, "PrivateNetwork", c.network);
  read_field(j, "PrivateNetworkSubnet", c.network_subnet);
  read_field(j, "PrivateIPAddress", c.private_ip);
  read_field(j, "PrivateMACAddress", c.private_mac);
  if (auto it = j.find("VirtiofsMounts"); it != j.end()) c.virtiofs_mounts = mounts_from_json(*it);
  return c;
}

}  // namespace machine::drivers::qemu
