#pragma once
// Fault injection for tests/fault: with MACHINE_FAULT_POINT="<point>:<SIGNAL>" in the
// environment, the process sends itself SIGNAL (KILL, INT, TERM or HUP) the first time it
// reaches `point`, e.g. "create-after-seed:KILL". Points are named where the create flow has
// made one more thing (certs, machine dir, addresses, seed, VM, host keys, engine, context).
// Does nothing unless built with the CMake option MACHINE_FAULT_HOOKS (on for test builds).
#include <string_view>

namespace machine {

void fault_point(std::string_view point);

}  // namespace machine
