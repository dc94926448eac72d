#pragma once
// Random UUIDs for VMs a driver names before it makes them (VirtualBox createvm --uuid,
// libvirt <uuid>): chosen in prepare() and saved with the machine before the VM exists, so
// a create that dies halfway still names what to remove, and remove touches only that VM.
#include <string>

namespace machine::drivers::common {

// A random (version 4, RFC 4122) UUID, lowercase, 8-4-4-4-12.
std::string random_uuid();

}  // namespace machine::drivers::common
