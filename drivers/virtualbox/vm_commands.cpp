#include "drivers/virtualbox/vm_commands.h"

#include <fmt/format.h>

#include <cctype>

namespace machine::drivers::virtualbox {

std::vector<Args> create_vm_commands(const VmSettings& s) {
  std::vector<Args> cmds;
  cmds.push_back({"createvm", "--basefolder", s.machine_dir.string(), "--name", s.name, "--register"});
  if (!s.uuid.empty()) cmds.back().insert(cmds.back().end(), {"--uuid", s.uuid});

  // docker-machine's machine settings. Differences: the disk boots first (our image has its
  // own bootloader; boot2docker booted from the DVD), and the first serial port logs the
  // guest console to a file (boot diagnostics and SSH host keys, as with QEMU).
  Args modify{"modifyvm",
              s.name,
              "--firmware",
              "bios",
              "--bioslogofadein",
              "off",
              "--bioslogofadeout",
              "off",
              "--bioslogodisplaytime",
              "0",
              "--biosbootmenu",
              "disabled",
              "--ostype",
              "Linux26_64",
              "--cpus",
              std::to_string(s.cpus),
              "--memory",
              std::to_string(s.memory_mb),
              "--acpi",
              "on",
              "--ioapic",
              "on",
              "--rtcuseutc",
              "on",
              "--natdnshostresolver1",
              s.host_dns_resolver ? "on" : "off",
              "--natdnsproxy1",
              s.dns_proxy ? "on" : "off",
              "--cpuhotplug",
              "off",
              "--pae",
              "on",
              "--hpet",
              "on",
              "--hwvirtex",
              "on",
              "--nestedpaging",
              "on",
              "--largepages",
              "on",
              "--vtxvpid",
              "on",
              "--accelerate3d",
              "off",
              "--boot1",
              "disk",
              "--boot2",
              "none",
              "--boot3",
              "none",
              "--boot4",
              "none",
              "--uart1",
              "0x3F8",
              "4",
              "--uartmode1",
              "file",
              s.serial_log.string()};
  if (s.long_mode) modify.insert(modify.end(), {"--longmode", "on"});
  cmds.push_back(std::move(modify));

  // NAT with both forwards bound to 127.0.0.1 only: SSH and the engine (so the engine URL
  // is tcp://127.0.0.1:PORT, as with the QEMU driver).
  cmds.push_back({"modifyvm", s.name, "--nic1", "nat", "--nictype1", s.nat_nic_type, "--cableconnected1",
                  "on", "--macaddress1", s.nat_mac});
  cmds.push_back(
      {"modifyvm", s.name, "--natpf1", "ssh,tcp,127.0.0.1," + std::to_string(s.ssh_port) + ",,22"});
  cmds.push_back({"modifyvm", s.name, "--natpf1",
                  "docker,tcp,127.0.0.1," + std::to_string(s.engine_port) + ",," +
                      std::to_string(common::kGuestEnginePort)});

  // IDE (PIIX4), not docker-machine's SATA: the machine OS kernel (linux-image-cloud-amd64)
  // has no AHCI driver, while ata_piix is in its initrd. The disk is the primary master (the
  // BIOS boots it), the seed the secondary master.
  cmds.push_back({"storagectl", s.name, "--name", "IDE", "--add", "ide", "--controller", "PIIX4",
                  "--hostiocache", "on"});
  cmds.push_back({"storageattach", s.name, "--storagectl", "IDE", "--port", "0", "--device", "0", "--type",
                  "hdd", "--medium", s.disk.string()});
  cmds.push_back({"storageattach", s.name, "--storagectl", "IDE", "--port", "1", "--device", "0", "--type",
                  "dvddrive", "--medium", s.seed.string()});

  cmds.push_back({"guestproperty", "set", s.name, "/VirtualBox/GuestAdd/SharedFolders/MountPrefix", "/"});
  cmds.push_back({"guestproperty", "set", s.name, "/VirtualBox/GuestAdd/SharedFolders/MountDir", "/"});
  for (const auto& [share, dir] : s.shares) {
    cmds.push_back({"sharedfolder", "add", s.name, "--name", share, "--hostpath", dir, "--automount"});
    cmds.push_back({"setextradata", s.name, "VBoxInternal2/SharedFoldersEnableSymlinksCreate/" + share, "1"});
  }
  return cmds;
}

Args hostonly_nic_command(const std::string& name, const HostOnlyNic& nic) {
  return {"modifyvm",
          name,
          "--nic2",
          "hostonly",
          "--nictype2",
          nic.nic_type,
          "--nicpromisc2",
          nic.promisc,
          "--hostonlyadapter2",
          nic.adapter,
          "--cableconnected2",
          "on",
          "--macaddress2",
          nic.mac};
}

Args start_vm_command(const std::string& name, const std::string& ui_type) {
  return {"startvm", name, "--type", ui_type};
}

std::string mac_with_colons(const std::string& vbox_mac) {
  std::string out;
  for (size_t i = 0; i < vbox_mac.size(); ++i) {
    if (i > 0 && i % 2 == 0) out += ':';
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(vbox_mac[i])));
  }
  return out;
}

namespace {
std::string natpf_name(const PortForward& f) {
  return fmt::format("{}-{}", proto_name(f.proto), f.host_port);
}
}  // namespace

std::string natpf_rule(const PortForward& f) {
  return fmt::format("{},{},{},{},,{}", natpf_name(f), proto_name(f.proto), f.host_addr, f.host_port,
                     f.guest_port);
}

Args natpf_add_command(const std::string& vm, const PortForward& f) {
  return {"controlvm", vm, "natpf1", natpf_rule(f)};
}

Args natpf_delete_command(const std::string& vm, const PortForward& f) {
  return {"controlvm", vm, "natpf1", "delete", natpf_name(f)};
}

std::vector<std::string> natpf_rules(const std::map<std::string, std::string>& info) {
  // Adapter 1's rules come first and are numbered from 0 (VBoxManage lists them per NIC).
  std::vector<std::string> rules;
  for (int i = 0;; ++i) {
    auto it = info.find(fmt::format("Forwarding({})", i));
    if (it == info.end()) break;
    rules.push_back(it->second);
  }
  return rules;
}

}  // namespace machine::drivers::virtualbox
