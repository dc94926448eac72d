#pragma once
// The QEMU command line as a pure function of a VmSpec: everything a launch needs is in
// the spec, nothing is probed here, so golden tests pin every accelerator and option.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "drivers/common/accel.h"
#include "drivers/common/guest.h"
#include "drivers/common/virtiofs.h"

namespace machine::drivers::qemu {

// A second NIC on a VM-to-VM network (the swarm task plugs a socket/stream/VDE netdev
// in here). The guest finds it by its MAC (guest/recipe/boot.sh).
struct PrivateNic {
  std::string netdev;  // backend and options after "-netdev", without id: "socket,mcast=..."
  std::string mac;     // "52:54:00:xx:xx:xx"
};

struct VmSpec {
  std::string name;           // -name, shows in ps
  std::filesystem::path dir;  // machine dir: disk, seed, serial log, QMP, pidfile
  Accel accel = Accel::Tcg;   // resolved, never Auto
  int memory_mb = 1024;
  int cpus = 2;
  std::string kernel;  // direct kernel boot when set; else boot from disk
  std::string initrd;
  std::string kernel_cmdline;
  bool seed = true;               // attach seed.iso (NoCloud, label cidata)
  int ssh_port = 0;               // 127.0.0.1:ssh_port -> guest 22
  int engine_port = 0;            // 127.0.0.1:engine_port -> guest 2376
  bool restrict_network = false;  // user networking restrict=on: no outbound traffic
  std::optional<PrivateNic> private_nic;
  std::vector<common::VirtiofsShare> virtiofs;  // host dirs over vhost-user-fs
};

// argv[1..] for qemu-system-x86_64 (the program itself is not included).
std::vector<std::string> build_qemu_args(const VmSpec& spec);

// The id of the user-mode netdev (SSH, engine and published-port forwards live on it).
inline constexpr const char* kUserNetdev = "net0";

}  // namespace machine::drivers::qemu
