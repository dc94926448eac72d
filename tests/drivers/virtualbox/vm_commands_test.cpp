// Golden VBoxManage argument lists for a new machine (docker-machine's defaults).
#include "drivers/virtualbox/vm_commands.h"

#include <gtest/gtest.h>

namespace machine::drivers::virtualbox {
namespace {

std::vector<std::string> joined(const std::vector<Args>& cmds) {
  std::vector<std::string> out;
  for (const auto& c : cmds) {
    std::string line;
    for (const auto& a : c) line += (line.empty() ? "" : " ") + a;
    out.push_back(line);
  }
  return out;
}

VmSettings defaults() {
  VmSettings s;
  s.name = "default";
  s.machine_dir = "/s/machines/default";
  s.nat_mac = "080027010203";
  s.ssh_port = 40111;
  s.engine_port = 40112;
  s.disk = "/s/machines/default/disk.vmdk";
  s.seed = "/s/machines/default/seed.iso";
  s.serial_log = "/s/machines/default/serial.log";
  return s;
}

TEST(VmCommands, CreatevmCarriesTheUuidTheMachineRecords) {
  auto s = defaults();
  s.uuid = "0b5e3c1a-1d2e-4f00-8a11-223344556677";
  EXPECT_EQ(create_vm_commands(s).front(),
            (Args{"createvm", "--basefolder", "/s/machines/default", "--name", "default", "--register",
                  "--uuid", "0b5e3c1a-1d2e-4f00-8a11-223344556677"}));
}

TEST(VmCommands, CreateSequenceWithDefaults) {
  auto s = defaults();
  s.shares = {{"hosthome", "/home"}};
  std::vector<std::string> golden{
      "createvm --basefolder /s/machines/default --name default --register",
      "modifyvm default --firmware bios --bioslogofadein off --bioslogofadeout off --bioslogodisplaytime 0 "
      "--biosbootmenu disabled --ostype Linux26_64 --cpus 1 --memory 1024 --acpi on --ioapic on --rtcuseutc "
      "on "
      "--natdnshostresolver1 off --natdnsproxy1 on --cpuhotplug off --pae on --hpet on --hwvirtex on "
      "--nestedpaging on --largepages on --vtxvpid on --accelerate3d off --boot1 disk --boot2 none --boot3 "
      "none "
      "--boot4 none --uart1 0x3F8 4 --uartmode1 file /s/machines/default/serial.log",
      "modifyvm default --nic1 nat --nictype1 82540EM --cableconnected1 on --macaddress1 080027010203",
      "modifyvm default --natpf1 ssh,tcp,127.0.0.1,40111,,22",
      "modifyvm default --natpf1 docker,tcp,127.0.0.1,40112,,2376",
      "storagectl default --name IDE --add ide --controller PIIX4 --hostiocache on",
      "storageattach default --storagectl IDE --port 0 --device 0 --type hdd --medium "
      "/s/machines/default/disk.vmdk",
      "storageattach default --storagectl IDE --port 1 --device 0 --type dvddrive --medium "
      "/s/machines/default/seed.iso",
      "guestproperty set default /VirtualBox/GuestAdd/SharedFolders/MountPrefix /",
      "guestproperty set default /VirtualBox/GuestAdd/SharedFolders/MountDir /",
      "sharedfolder add default --name hosthome --hostpath /home --automount",
      "setextradata default VBoxInternal2/SharedFoldersEnableSymlinksCreate/hosthome 1",
  };
  EXPECT_EQ(joined(create_vm_commands(s)), golden);
}

TEST(VmCommands, FlagsReachModifyvm) {
  auto s = defaults();
  s.cpus = 4;
  s.memory_mb = 4096;
  s.host_dns_resolver = true;
  s.dns_proxy = false;
  s.nat_nic_type = "virtio";
  s.long_mode = true;
  auto cmds = joined(create_vm_commands(s));
  EXPECT_NE(cmds[1].find("--cpus 4 --memory 4096"), std::string::npos);
  EXPECT_NE(cmds[1].find("--natdnshostresolver1 on --natdnsproxy1 off"), std::string::npos);
  EXPECT_NE(cmds[1].find("--longmode on"), std::string::npos);
  EXPECT_EQ(cmds[2],
            "modifyvm default --nic1 nat --nictype1 virtio --cableconnected1 on --macaddress1 080027010203");
  EXPECT_EQ(cmds.size(), 10u);  // no shares
}

TEST(VmCommands, HostOnlyNicAndStart) {
  EXPECT_EQ(
      joined({hostonly_nic_command("default", {"vboxnet0", "82540EM", "deny", "0800270A0B0C"})})[0],
      "modifyvm default --nic2 hostonly --nictype2 82540EM --nicpromisc2 deny --hostonlyadapter2 vboxnet0 "
      "--cableconnected2 on --macaddress2 0800270A0B0C");
  EXPECT_EQ(joined({start_vm_command("default", "headless")})[0], "startvm default --type headless");
  EXPECT_EQ(mac_with_colons("0800270A0B0C"), "08:00:27:0a:0b:0c");
}

}  // namespace
}  // namespace machine::drivers::virtualbox
