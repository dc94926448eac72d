#include "drivers/libvirt/domain_xml.h"

#include <fmt/format.h>

namespace machine::drivers::libvirt {
namespace {

std::string disk_xml(const std::string& pool, const std::string& volume, const std::string& format,
                     const std::string& dev, bool readonly) {
  return fmt::format(
      "    <disk type='volume' device='disk'>\n"
      "      <driver name='qemu' type='{}'{}/>\n"
      "      <source pool='{}' volume='{}'/>\n"
      "      <target dev='{}' bus='virtio'/>\n"
      "{}"
      "    </disk>\n",
      format, readonly ? "" : " discard='unmap'", xml_escape(pool), xml_escape(volume), dev,
      readonly ? "      <readonly/>\n" : "");
}

// libvirt 9.0 has no loopback-bound user networking (it rejects passt, and <interface
// type='user'> cannot forward ports), so the NIC goes on QEMU's own command line. The
// explicit PCI address keeps it clear of the root ports libvirt puts on q35's pcie.0.
std::string user_net_args(const UserNet& n) {
  auto netdev = fmt::format("user,id={}{},hostfwd=tcp:{}:{}-:22,hostfwd=tcp:{}:{}-:{}", kUserNetdev,
                            n.restrict ? ",restrict=on" : "", n.bind, n.ssh_port, n.bind, n.engine_port,
                            common::kGuestEnginePort);
  return fmt::format(
      "  <qemu:commandline>\n"
      "    <qemu:arg value='-netdev'/>\n"
      "    <qemu:arg value='{}'/>\n"
      "    <qemu:arg value='-device'/>\n"
      "    <qemu:arg value='virtio-net-pci,netdev={},bus=pcie.0,addr=0x10'/>\n"
      "  </qemu:commandline>\n",
      xml_escape(netdev), kUserNetdev);
}

}  // namespace

std::string xml_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '\'':
        out += "&apos;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string domain_xml(const DomainSpec& s) {
  bool user_net = s.network.empty();
  std::string x;
  x += fmt::format("<domain type='{}'{}>\n", s.type,
                   user_net ? " xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'" : "");
  x += fmt::format("  <name>{}</name>\n", xml_escape(s.name));
  if (!s.uuid.empty()) x += fmt::format("  <uuid>{}</uuid>\n", xml_escape(s.uuid));
  x += fmt::format("  <memory unit='MiB'>{}</memory>\n", s.memory_mb);
  x += fmt::format("  <vcpu>{}</vcpu>\n", s.cpus);
  // vhost-user (virtiofsd) maps guest RAM: it must be a shared memfd.
  if (!s.filesystems.empty())
    x += "  <memoryBacking>\n    <source type='memfd'/>\n    <access mode='shared'/>\n  </memoryBacking>\n";
  x += "  <os>\n    <type arch='x86_64' machine='q35'>hvm</type>\n";
  if (!s.kernel_path.empty()) {
    x += fmt::format("    <kernel>{}</kernel>\n", xml_escape(s.kernel_path));
    if (!s.initrd_path.empty()) x += fmt::format("    <initrd>{}</initrd>\n", xml_escape(s.initrd_path));
    x += fmt::format("    <cmdline>{}</cmdline>\n", xml_escape(s.kernel_cmdline));
  } else {
    x += "    <boot dev='hd'/>\n";
  }
  x += "  </os>\n";
  x += "  <features>\n    <acpi/>\n  </features>\n";
  // TCG emulates the richest CPU it can; KVM passes the host's through.
  x += s.type == "kvm" ? "  <cpu mode='host-passthrough' check='none'/>\n"
                       : "  <cpu mode='maximum' check='none'/>\n";
  x += "  <clock offset='utc'/>\n";
  x += "  <on_poweroff>destroy</on_poweroff>\n  <on_reboot>restart</on_reboot>\n  "
       "<on_crash>destroy</on_crash>\n";
  x += "  <devices>\n";
  x += disk_xml(s.pool, s.disk_volume, "qcow2", "vda", false);
  if (!s.seed_volume.empty()) x += disk_xml(s.pool, s.seed_volume, "raw", "vdb", true);
  for (const auto& fs : s.filesystems)
    x += fmt::format(
        "    <filesystem type='mount' accessmode='passthrough'>\n"
        "      <driver type='virtiofs'/>\n"
        "{}"
        "      <source dir='{}'/>\n"
        "      <target dir='{}'/>\n"
        "    </filesystem>\n",
        s.virtiofsd.empty() ? "" : fmt::format("      <binary path='{}'/>\n", xml_escape(s.virtiofsd)),
        xml_escape(fs.host_dir), xml_escape(fs.tag));
  x += "    <controller type='usb' model='none'/>\n";
  if (!user_net)
    x += fmt::format(
        "    <interface type='network'>\n"
        "      <source network='{}'/>\n"
        "      <model type='virtio'/>\n"
        "    </interface>\n",
        xml_escape(s.network));
  if (s.serial_log.empty())
    x += "    <serial type='pty'>\n      <target port='0'/>\n    </serial>\n";
  else
    x += fmt::format(
        "    <serial type='file'>\n      <source path='{}'/>\n      <target port='0'/>\n    </serial>\n",
        xml_escape(s.serial_log));
  x += "    <rng model='virtio'>\n      <backend model='random'>/dev/urandom</backend>\n    </rng>\n";
  x += "    <memballoon model='none'/>\n";
  x += "  </devices>\n";
  if (user_net) x += user_net_args(s.user_net);
  x += "</domain>\n";
  return x;
}

std::string volume_xml(const VolumeSpec& v) {
  std::string x = "<volume>\n";
  x += fmt::format("  <name>{}</name>\n", xml_escape(v.name));
  x += fmt::format("  <capacity unit='bytes'>{}</capacity>\n", v.capacity_bytes);
  x += fmt::format("  <target>\n    <format type='{}'/>\n  </target>\n", v.format);
  if (!v.backing_path.empty())
    x += fmt::format("  <backingStore>\n    <path>{}</path>\n    <format type='qcow2'/>\n  </backingStore>\n",
                     xml_escape(v.backing_path));
  x += "</volume>\n";
  return x;
}

std::string dir_pool_xml(const std::string& name, const std::string& target_path) {
  return fmt::format(
      "<pool type='dir'>\n"
      "  <name>{}</name>\n"
      "  <target>\n    <path>{}</path>\n  </target>\n"
      "</pool>\n",
      xml_escape(name), xml_escape(target_path));
}

}  // namespace machine::drivers::libvirt
