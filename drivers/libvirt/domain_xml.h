#pragma once
// Libvirt XML documents (domain, storage volume, storage pool) as pure functions of a
// spec: nothing is probed or looked up here, so golden tests pin every variant.
#include <cstdint>
#include <string>
#include <vector>

#include "drivers/common/guest.h"

namespace machine::drivers::libvirt {

// How the guest's NIC reaches the host.
struct UserNet {                   // QEMU user-mode networking through <qemu:commandline>
  std::string bind = "127.0.0.1";  // host address the forwards listen on
  int ssh_port = 0;                // bind:ssh_port -> guest 22
  int engine_port = 0;             // bind:engine_port -> guest 2376
  bool restrict = false;           // restrict=on: no outbound traffic, only the forwards
};

// A host directory exported over virtiofs; libvirt runs `virtiofsd` for it on every start.
struct FsShare {
  std::string tag;  // what the guest mounts (common::mount_tag)
  std::string host_dir;
};

struct DomainSpec {
  std::string name;
  std::string uuid;           // chosen before the domain exists (write-ahead); "" = libvirt picks
  std::string type = "qemu";  // "qemu" (TCG) or "kvm"
  int memory_mb = 1024;
  int cpus = 2;
  std::string pool;         // storage pool holding the volumes below
  std::string disk_volume;  // qcow2 overlay (vda)
  std::string seed_volume;  // NoCloud ISO (vdb, read-only); "" = none
  std::string kernel_path;  // direct kernel boot when set (a path on the hypervisor host)
  std::string initrd_path;
  std::string kernel_cmdline;
  std::string serial_log;            // serial console to this file; "" = a pty (read via a stream)
  std::string network;               // a named libvirt network; "" = user-mode networking
  UserNet user_net;                  // used when `network` is empty
  std::vector<FsShare> filesystems;  // virtiofs shares (guest RAM then comes from a shared memfd)
  std::string virtiofsd;             // virtiofsd binary on the hypervisor host; "" = libvirt's default
};

// The <domain> document for virDomainDefineXML.
std::string domain_xml(const DomainSpec& spec);

// A volume for virStorageVolCreateXML. `format` is "qcow2" or "raw"; a qcow2 volume with
// `backing_path` is an overlay on that (qcow2) volume.
struct VolumeSpec {
  std::string name;
  uint64_t capacity_bytes = 0;
  std::string format = "raw";
  std::string backing_path;
};
std::string volume_xml(const VolumeSpec& spec);

// A directory pool for virStoragePoolDefineXML.
std::string dir_pool_xml(const std::string& name, const std::string& target_path);

// XML-escapes text for element content and attribute values.
std::string xml_escape(const std::string& s);

// The id of the user-mode netdev on QEMU's command line (published-port forwards go on it).
inline constexpr const char* kUserNetdev = "mnet0";

}  // namespace machine::drivers::libvirt
