#include "drivers/registry.h"

#include <fmt/format.h>

#include "drivers/generic/generic_driver.h"
#include "drivers/none/none_driver.h"
#ifdef MACHINE_WITH_LIBVIRT
#include "drivers/libvirt/libvirt_driver.h"
#endif
#include "drivers/qemu/qemu_driver.h"
#include "drivers/virtualbox/virtualbox_driver.h"
#include "machine/error.h"
#include "machine/suggest.h"

namespace machine::drivers {
namespace {
template <typename T>
std::unique_ptr<Driver> make(const Context& ctx) {
  return std::make_unique<T>(ctx);
}
}  // namespace

const std::vector<DriverInfo>& registry() {
  static const std::vector<DriverInfo> table{
      {"qemu", "QEMU virtual machine on this host (the default)", &make<QemuDriver>, &qemu::qemu_flags},
#ifdef MACHINE_WITH_LIBVIRT
      {"libvirt", "libvirt domain, local or on a remote host (qemu:///system, qemu+ssh://)",
       &make<LibvirtDriver>, &libvirt::libvirt_flags},
#endif
      {"virtualbox", "VirtualBox VM driven through VBoxManage (docker-machine compatible)",
       &make<VirtualBoxDriver>, &VirtualBoxDriver::flags},
      {"generic", "An existing Linux host reached over SSH", &make<GenericDriver>, &GenericDriver::flags},
      {"none", "No VM: an existing Docker engine reached by URL", &make<NoneDriver>, &NoneDriver::flags},
  };
  return table;
}

std::string driver_names() {
  std::string names;
  for (const auto& d : registry()) names += (names.empty() ? "" : ", ") + std::string(d.name);
  return names;
}

const DriverInfo* find_driver(std::string_view name) {
  for (const auto& d : registry())
    if (d.name == name) return &d;
  return nullptr;
}

namespace {
const DriverInfo& known_driver(std::string_view name) {
  if (const DriverInfo* d = find_driver(name)) return *d;
  std::vector<std::string> names;
  for (const auto& d : registry()) names.emplace_back(d.name);
  fail(Code::InvalidArgument, fmt::format("Driver \"{}\" not found.{} Available drivers: {}", name,
                                          did_you_mean(name, names), driver_names()));
}
}  // namespace

std::vector<Flag> driver_flags(std::string_view name) { return known_driver(name).flags(); }

std::unique_ptr<Driver> make_driver(std::string_view name, const Context& ctx) {
  return known_driver(name).make(ctx);
}

void stop_leftover_processes(const Context& ctx) {
  // QEMU is the only driver whose VM is a host process found from the machine dir; its
  // kill() needs no config (pidfile + /proc cmdline check).
  QemuDriver(ctx).kill();
}

std::string_view default_driver_name() {
  for (const auto& d : registry())
    if (d.name == "qemu") return d.name;
  return "none";
}

}  // namespace machine::drivers
