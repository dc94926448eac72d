#pragma once
// The one table of drivers, by name.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/driver.h"

namespace machine::drivers {

// A driver as data: create --help, completion and the man page read its flags (names,
// defaults, environment variables) here instead of constructing a driver.
struct DriverInfo {
  std::string_view name;
  std::string_view description;
  std::unique_ptr<Driver> (*make)(const Context&);
  std::vector<Flag> (*flags)();  // the flags `create -d <name>` accepts, in help order
};

// Every driver built into this binary, in display order.
const std::vector<DriverInfo>& registry();

// Names of the registered drivers, comma separated ("qemu, libvirt, ...").
std::string driver_names();

// The entry for `name`; nullptr when there is none.
const DriverInfo* find_driver(std::string_view name);

// The create flags of driver `name`. An unknown name throws like make_driver.
std::vector<Flag> driver_flags(std::string_view name);

// Constructs driver `name`. An unknown name throws Error(InvalidArgument) listing the
// known ones.
std::unique_ptr<Driver> make_driver(std::string_view name, const Context& ctx);

// For a machine whose config cannot be read (so its driver is unknown): stops the host
// processes a driver left in its directory and can find there alone (QEMU and its helpers,
// by their pidfiles; a pid is signalled only while /proc shows it is ours). Idempotent.
void stop_leftover_processes(const Context& ctx);

// The default for `create` when neither -d nor MACHINE_DRIVER is given.
std::string_view default_driver_name();

}  // namespace machine::drivers
