#pragma once
// Host-side helper processes a machine owns besides its VM (virtiofsd, reverse-sshfs
// pipes): started detached in their own session with a pidfile in the machine dir, and
// only ever signalled after /proc shows they are still ours.
#include <filesystem>
#include <string>

#include "machine/process_runner.h"

namespace machine::drivers::common {

// Spawns `cmd` detached (own session, output to `log`) and records its pid in `pidfile`.
int start_helper(ProcessRunner& runner, const Command& cmd, const std::filesystem::path& pidfile,
                 const std::filesystem::path& log);

// The pid in `pidfile` when that process is alive and one of its arguments contains
// `marker` (the machine dir: the pid was not recycled for a stranger); else 0.
int live_helper(const std::filesystem::path& pidfile, const std::string& marker);

// Ends the helper and its process group (SIGTERM, then SIGKILL after a grace period) and
// removes the pidfile. Idempotent.
void stop_helper(const std::filesystem::path& pidfile, const std::string& marker);

}  // namespace machine::drivers::common
