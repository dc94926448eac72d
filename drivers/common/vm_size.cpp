#include "drivers/common/vm_size.h"

#include <fmt/format.h>

#include "drivers/base.h"

namespace machine::drivers::common {

void apply_size_flags(const FlagValues& f, std::string_view prefix, int& memory_mb, int& cpus,
                      int& disk_size_mb, long host_memory_mb) {
  auto memory = fmt::format("{}-memory", prefix);
  if (f.has(memory)) {
    memory_mb = f.integer(memory);
    auto v = f.string(memory);
    require_flag(memory_mb >= kMinMemoryMb, memory, v,
                 fmt::format("at least {} MB are needed", kMinMemoryMb));
    require_flag(host_memory_mb <= 0 || memory_mb <= host_memory_mb, memory, v,
                 fmt::format("more than this host's {} MB", host_memory_mb));
  }
  if (auto flag = fmt::format("{}-cpus", prefix); f.has(flag)) {
    cpus = f.integer(flag);
    require_flag(cpus >= 1 && cpus <= kMaxCpus, flag, f.string(flag),
                 fmt::format("must be between 1 and {}", kMaxCpus));
  }
  if (auto flag = fmt::format("{}-disk-size", prefix); f.has(flag)) {
    disk_size_mb = f.integer(flag);
    require_flag(disk_size_mb >= kMinDiskMb, flag, f.string(flag),
                 fmt::format("at least {} MB are needed", kMinDiskMb));
  }
}

}  // namespace machine::drivers::common
