#pragma once
// The private network namespace a test enters before it makes host interfaces (taps, a
// switch) or reaches a VM's private address: RULES.md allows that only there, never in the
// host's namespace.

namespace machine::testing {

// Moves this process, and every child it starts from now on (machine, QEMU, docker), into a
// network namespace of its own with only loopback, brought up. False when that cannot be done
// (not root): the fixture then fails its tests with kNeedsNetns.
bool enter_private_netns();

inline constexpr const char* kNeedsNetns = "needs root to make a private network namespace (unshare -n)";

}  // namespace machine::testing
