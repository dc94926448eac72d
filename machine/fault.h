#pragma once
// Fault injection for tests/fault: named points where the create flow has made one more thing
// (certs, machine dir, addresses, seed, VM, host keys, engine, context). fault_point calls the
// installed hook, if any; only the test build's `machine` installs one (machine/fault_hooks.h,
// CMake option MACHINE_FAULT_HOOKS), so the installed binary carries no way to stop itself.
#include <string_view>

namespace machine {

void fault_point(std::string_view point);

// What fault_point calls; nullptr (the default) makes it do nothing. Set once, before threads.
using FaultHook = void (*)(std::string_view point);
void set_fault_hook(FaultHook hook);

}  // namespace machine
