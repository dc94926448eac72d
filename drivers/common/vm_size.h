#pragma once
// Memory, CPUs and disk of a QEMU guest, shared by the qemu and libvirt drivers (both run a
// q35 QEMU): the limits and the validation of the --<driver>-memory/-cpus/-disk-size flags.
#include <string_view>

#include "drivers/driver.h"

namespace machine::drivers::common {

inline constexpr int kMinMemoryMb = 256;
inline constexpr int kMinDiskMb = 1024;
inline constexpr int kMaxCpus = 255;  // q35 without x2APIC interrupt remapping

// Reads --<prefix>-memory, --<prefix>-cpus and --<prefix>-disk-size where given, each
// checked against the limits (memory also against `host_memory_mb`, 0 = unknown); throws
// Error(InvalidArgument) naming the flag and the value.
void apply_size_flags(const FlagValues& f, std::string_view prefix, int& memory_mb, int& cpus,
                      int& disk_size_mb, long host_memory_mb = 0);

}  // namespace machine::drivers::common
