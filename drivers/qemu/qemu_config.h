#pragma once
// The QEMU driver's settings: create flags, their validation, and the persisted form
// (config.json's "Driver" object, docker-machine's base fields plus ours).
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "drivers/base.h"
#include "drivers/common/accel.h"
#include "drivers/driver.h"

namespace machine::drivers::qemu {

struct QemuConfig {
  BaseConfig base;  // IPAddress 127.0.0.1, SSHPort = the forwarded port
  int memory_mb = 1024;
  int cpus = 2;
  int disk_size_mb = 20000;
  std::string image;  // --qemu-image as given ("" = the machine OS image)
  Accel accel_requested = Accel::Auto;
  Accel accel = Accel::Tcg;  // what prepare() chose
  std::string binary = "qemu-system-x86_64";
  bool restrict_network = false;
  int engine_port = 0;  // 127.0.0.1:engine_port -> guest 2376
  // --qemu-publish-address: where containers' published ports are forwarded from.
  std::string publish_address = kDefaultPublishAddress;
  // --qemu-network: a private VM-to-VM network (drivers/network), "" = none. The address is
  // allocated by prepare() and kept, so the machine always comes back with it.
  std::string network;
  std::string network_subnet;  // --qemu-network-subnet, then the network's actual subnet
  std::string private_ip;
  std::string private_mac;
  // Resolved at create so later starts boot the same thing even if the cache changes.
  std::string base_disk;  // backing file of disk.qcow2
  std::string kernel;     // "" = boot from disk (stock cloud image)
  std::string initrd;
  std::string kernel_cmdline;
  // Host dirs exported over virtiofs at every launch (CreateSpec::virtiofs_mounts).
  std::vector<Mount> virtiofs_mounts;
};

// The flags `create -d qemu` accepts, with QEMU_* env fallbacks and defaults.
std::vector<Flag> qemu_flags();

// Applies flag values to `c`, validating each; throws Error(InvalidArgument) naming the
// flag. `host_memory_mb` bounds --qemu-memory (0 = unknown, no upper bound).
void apply_flags(QemuConfig& c, const FlagValues& flags, long host_memory_mb);

nlohmann::json to_json(const QemuConfig& c);
// Absent fields keep their defaults; throws Error(InvalidArgument) on a bad accelerator.
QemuConfig qemu_config_from_json(const nlohmann::json& j);

}  // namespace machine::drivers::qemu
