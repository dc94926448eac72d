#pragma once
// The test build's fault hook: with MACHINE_FAULT_POINT="<point>:<SIGNAL>" in the environment,
// the process sends itself SIGNAL (KILL, INT, TERM or HUP) the first time it reaches `point`
// (machine/fault.h), e.g. "create-after-seed:KILL". Linked only into the `machine` that tests
// run (library machine_fault_hooks), never into the binary install() and the .deb ship.
namespace machine {

void install_env_fault_hook();

}  // namespace machine
