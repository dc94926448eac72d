#pragma once
// The virtiofs transport: one virtiofsd per mount serving the host directory over a
// vhost-user socket in the machine's mounts/ dir, started before and stopped with the VM
// (virtiofsd serves one VMM connection and exits when it closes). The VMM side is a pure
// function per hypervisor (QEMU argv here, libvirt XML in drivers/libvirt).
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "machine/host.h"
#include "machine/process_runner.h"

namespace machine::drivers::common {

struct VirtiofsShare {
  std::string tag;  // what the guest mounts ("mount0")
  std::string host_dir;
  std::filesystem::path socket;  // vhost-user socket
};

// <machine dir>/mounts: sockets, pidfiles and logs of the mount helpers.
std::filesystem::path mounts_dir(const std::filesystem::path& machine_dir);

// The shares for `mounts`, tagged in order (mount_tag), sockets in mounts_dir.
std::vector<VirtiofsShare> virtiofs_shares(const std::filesystem::path& machine_dir,
                                           const std::vector<Mount>& mounts);

// virtiofsd from qemu-system-common (/usr/lib/qemu/virtiofsd on Debian 12), or nullopt.
std::optional<std::filesystem::path> find_virtiofsd(ProcessRunner& runner);
inline constexpr const char* kVirtiofsdPackage = "qemu-system-common";

// Why virtiofs cannot run on this host ("" = it can): virtiofsd missing, or not root
// (virtiofsd 7.2 sandboxes itself with namespaces and keeps guest uids, which needs root).
std::string virtiofs_unavailable_reason(ProcessRunner& runner);

// virtiofsd's command line for one share. Pure.
Command virtiofsd_command(const std::filesystem::path& virtiofsd, const VirtiofsShare& share);

// QEMU options for the shares: guest RAM from a shared memfd (vhost-user maps it) and one
// vhost-user-fs-pci device per share. Empty when there are none. Pure.
std::vector<std::string> qemu_virtiofs_args(int memory_mb, const std::vector<VirtiofsShare>& shares);

// Starts a virtiofsd per share (stopping stale ones first) and waits until every socket
// is listening. Throws Error(Internal) with virtiofsd's log when one does not come up.
void start_virtiofsd(ProcessRunner& runner, const std::filesystem::path& machine_dir,
                     const std::vector<VirtiofsShare>& shares);

// Stops every virtiofsd of the machine and removes their sockets and pidfiles. Idempotent.
void stop_virtiofsd(const std::filesystem::path& machine_dir);

}  // namespace machine::drivers::common
