#pragma once
// The VBoxManage argument lists that build a machine, as pure functions of its settings,
// so the whole create sequence is pinned by a golden list. Defaults and option order
// follow docker-machine's virtualbox driver; differences are commented where they are.
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "drivers/common/guest.h"
#include "drivers/common/port_forward.h"

namespace machine::drivers::virtualbox {

using Args = std::vector<std::string>;

struct VmSettings {
  std::string name;                   // VM name = machine name
  std::filesystem::path machine_dir;  // --basefolder: the VM lives in <machine_dir>/<name>/
  int cpus = 1;
  int memory_mb = 1024;
  std::string nat_nic_type = "82540EM";
  std::string nat_mac;  // 12 hex digits, VirtualBox's spelling
  bool host_dns_resolver = false;
  bool dns_proxy = true;
  int ssh_port = 0;                  // 127.0.0.1:ssh_port -> guest 22
  int engine_port = 0;               // 127.0.0.1:engine_port -> guest 2376
  std::filesystem::path disk;        // disk.vmdk
  std::filesystem::path seed;        // seed.iso
  std::filesystem::path serial_log;  // the guest's console, for diagnostics and host keys
  std::vector<std::pair<std::string, std::string>> shares;  // (share name, host dir)
  bool long_mode = false;                                   // 32-bit Windows hosts need --longmode on
  std::string uuid;                                         // createvm --uuid: the VM this machine owns
};

struct HostOnlyNic {
  std::string adapter;  // "vboxnet0"
  std::string nic_type = "82540EM";
  std::string promisc = "deny";
  std::string mac;  // 12 hex digits
};

// createvm --register ... up to the shared folders; startvm is not included.
std::vector<Args> create_vm_commands(const VmSettings& s);
// modifyvm <name> --nic2 hostonly ...
Args hostonly_nic_command(const std::string& name, const HostOnlyNic& nic);
// startvm <name> --type <ui>
Args start_vm_command(const std::string& name, const std::string& ui_type);

// Published-port forwards on a running VM's NAT adapter 1. The rule is named after the
// protocol and host port ("tcp-4000"), which VirtualBox keeps unique per adapter.
std::string natpf_rule(const PortForward& f);                         // "tcp-4000,tcp,127.0.0.1,4000,,4000"
Args natpf_add_command(const std::string& vm, const PortForward& f);  // controlvm vm natpf1 <rule>
Args natpf_delete_command(const std::string& vm,
                          const PortForward& f);  // controlvm vm natpf1 delete tcp-4000
// NAT adapter 1's rules from `showvminfo --machinereadable` (Forwarding(n)="...").
std::vector<std::string> natpf_rules(const std::map<std::string, std::string>& info);

// "080027A1B2C3" -> "08:00:27:a1:b2:c3".
std::string mac_with_colons(const std::string& vbox_mac);

}  // namespace machine::drivers::virtualbox
