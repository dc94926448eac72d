#pragma once
// The reverse-sshfs transport (Lima's): for each mount a host-side helper pipes the host's
// sftp-server to `sshfs -o passive` (formerly "slave") running in the guest over the
// machine's own SSH login, so the guest sees the host directory with no listening port on
// the host. Works for every driver with SSH (remote libvirt, VirtualBox, generic).
// Files are served by sftp-server running as the user who ran machine: they own what
// containers create, and the host's permission checks apply.
#include <filesystem>
#include <string>
#include <vector>

#include "machine/host.h"
#include "machine/process_runner.h"

namespace machine::drivers::common {

// How the host logs into the machine: always with its pinned known_hosts.
struct SshLogin {
  std::string host;
  int port = 22;
  std::string user;
  std::filesystem::path key;
  std::filesystem::path known_hosts;
};

inline constexpr const char* kSftpServer = "/usr/lib/openssh/sftp-server";
inline constexpr const char* kSftpServerPackage = "openssh-sftp-server";

// OpenSSH client options shared by every non-interactive login of ours: the machine key
// only, its pinned host keys only (StrictHostKeyChecking=yes), never a password prompt,
// no user ssh_config. Pure.
std::vector<std::string> ssh_options(const SshLogin& login);

// The guest command that mounts `m` over SFTP on its stdin/stdout (guest/recipe/machine-mount).
std::string guest_sshfs_command(const Mount& m);
// The guest command that mounts the virtiofs share `tag` at `m.guest_dir`.
std::string guest_virtiofs_command(const std::string& tag, const Mount& m);

// bash with sftp-server [-R] as a coprocess whose stdio is crossed with
// `ssh ... sudo machine-mount sshfs HOST GUEST rw|ro` (bash execs into ssh, so the helper's
// pid is ssh's and both stay in its process group; vde2's dpipe insists on a process
// group of its own, which a session leader cannot make). Pure.
Command reverse_sshfs_command(const SshLogin& login, const Mount& m);

// `machine mount`: the host's sshfs mounting the machine's `guest_dir` at `local_dir`
// with the same pinned login. Pure.
Command host_sshfs_command(const SshLogin& login, const std::string& guest_dir, const std::string& local_dir);

// Starts the helper of the i-th mount (stopping a stale one first); pidfile and log in
// mounts/. Throws Error(FailedPrecondition) naming the Debian package of a missing tool.
void start_reverse_sshfs(ProcessRunner& runner, const std::filesystem::path& machine_dir,
                         const SshLogin& login, const Mount& mount, size_t index);
// The helper of the i-th mount is still running.
bool reverse_sshfs_alive(const std::filesystem::path& machine_dir, size_t index);
// Its log (why it ended), trimmed.
std::string reverse_sshfs_log(const std::filesystem::path& machine_dir, size_t index);
// Stops every helper of the machine. Idempotent.
void stop_reverse_sshfs(const std::filesystem::path& machine_dir);

}  // namespace machine::drivers::common
