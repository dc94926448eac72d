#include "drivers/qemu/qemu_argv.h"

#include <fmt/format.h>

#include "machine/store.h"

namespace machine::drivers::qemu {
namespace {

std::string file_in(const VmSpec& s, std::string_view name) { return (s.dir / std::string(name)).string(); }

// QEMU option values separate fields with ','; a literal comma is written as ",,".
std::string escape(const std::string& v) {
  std::string out;
  for (char c : v) out += c == ',' ? std::string(",,") : std::string(1, c);
  return out;
}

std::vector<std::string> accel_args(Accel a) {
  switch (a) {
    case Accel::Kvm:
      return {"-accel", "kvm", "-cpu", "host"};
    case Accel::Hvf:
      return {"-accel", "hvf", "-cpu", "host"};
    case Accel::Whpx:
      // WHPX has no "host" CPU model; its hypervisor filters the features of "max".
      return {"-accel", "whpx", "-cpu", "max"};
    case Accel::Auto:
    case Accel::Tcg:
      break;
  }
  // QEMU's default translated-code cache (1 GiB). A smaller one (tb-size=128) saved ~330 MB
  // of idle RSS, but a machine fills 436 MB by the end of create and ~960 MB after four
  // container starts (bench/results/idle_rss_and_ls.txt), so 128 MiB flushes the cache every
  // container start; CI then saw a restart wedge in guest soft lockups, and tb-size=16 made
  // restarts miss their 300 s readiness wait here. Memory comes back another way (issue 22).
  return {"-accel", "tcg,thread=multi", "-cpu", "max"};
}

}  // namespace

std::vector<std::string> build_qemu_args(const VmSpec& s) {
  namespace mf = machine::machine_files;
  std::vector<std::string> a{"-name", s.name, "-machine", "q35"};
  auto acc = accel_args(s.accel);
  a.insert(a.end(), acc.begin(), acc.end());
  a.insert(a.end(), {"-smp", std::to_string(s.cpus), "-m", std::to_string(s.memory_mb), "-nodefaults",
                     "-no-user-config", "-display", "none"});
  if (!s.kernel.empty()) {
    a.insert(a.end(), {"-kernel", s.kernel});
    if (!s.initrd.empty()) a.insert(a.end(), {"-initrd", s.initrd});
    a.insert(a.end(), {"-append", s.kernel_cmdline});
  }
  // The user-mode NIC comes first so it is the guest's first NIC (its primary network).
  std::string user = fmt::format("user,id={}", kUserNetdev);
  if (s.restrict_network) user += ",restrict=on";
  user += fmt::format(",hostfwd=tcp:127.0.0.1:{}-:22", s.ssh_port);
  user += fmt::format(",hostfwd=tcp:127.0.0.1:{}-:{}", s.engine_port, common::kGuestEnginePort);
  a.insert(a.end(), {"-netdev", user, "-device", fmt::format("virtio-net-pci,netdev={}", kUserNetdev)});
  // With -kernel, QEMU's linuxboot ROM holds boot index 0; the disk only boots itself.
  a.insert(a.end(),
           {"-drive", "if=none,id=disk0,format=qcow2,discard=unmap,file=" + escape(file_in(s, mf::kDisk)),
            "-device",
            s.kernel.empty() ? "virtio-blk-pci,drive=disk0,bootindex=0" : "virtio-blk-pci,drive=disk0"});
  if (s.seed)
    a.insert(a.end(),
             {"-drive", "if=none,id=seed0,format=raw,readonly=on,file=" + escape(file_in(s, mf::kSeed)),
              "-device", "virtio-blk-pci,drive=seed0"});
  a.insert(a.end(),
           {"-object", "rng-random,id=rng0,filename=/dev/urandom", "-device", "virtio-rng-pci,rng=rng0"});
  auto fs = common::qemu_virtiofs_args(s.memory_mb, s.virtiofs);
  a.insert(a.end(), fs.begin(), fs.end());
  if (s.private_nic) {
    a.insert(a.end(), {"-netdev", s.private_nic->netdev + ",id=net1", "-device",
                       "virtio-net-pci,netdev=net1,mac=" + s.private_nic->mac});
  }
  a.insert(a.end(), {"-chardev", "file,id=serial0,path=" + escape(file_in(s, mf::kSerialLog)), "-serial",
                     "chardev:serial0"});
  a.insert(a.end(), {"-qmp", "unix:" + escape(file_in(s, mf::kQmpSocket)) + ",server=on,wait=off"});
  a.insert(a.end(), {"-pidfile", file_in(s, mf::kPidFile)});
  return a;
}

}  // namespace machine::drivers::qemu
