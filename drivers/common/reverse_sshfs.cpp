#include "drivers/common/reverse_sshfs.h"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "drivers/common/helper_process.h"
#include "drivers/common/mounts.h"
#include "drivers/common/virtiofs.h"
#include "machine/fs.h"

namespace machine::drivers::common {
namespace {
namespace sfs = std::filesystem;

constexpr const char* kGuestMount = "sudo /usr/sbin/machine-mount";

sfs::path pidfile(const sfs::path& machine_dir, size_t i) {
  return mounts_dir(machine_dir) / fmt::format("sshfs-{}.pid", i);
}
sfs::path logfile(const sfs::path& machine_dir, size_t i) {
  return mounts_dir(machine_dir) / fmt::format("sshfs-{}.log", i);
}
const char* mode(const Mount& m) { return m.read_only ? "ro" : "rw"; }

}  // namespace

std::vector<std::string> ssh_options(const SshLogin& l) {
  return {"-F", "/dev/null",
          "-i", l.key.string(),
          "-p", std::to_string(l.port),
          "-o", "IdentitiesOnly=yes",
          "-o", "UserKnownHostsFile=" + l.known_hosts.string(),
          "-o", "StrictHostKeyChecking=yes",
          "-o", "BatchMode=yes",
          "-o", "LogLevel=ERROR",
          "-o", "ServerAliveInterval=10",
          "-o", "ServerAliveCountMax=6"};
}

std::string guest_sshfs_command(const Mount& m) {
  return fmt::format("{} sshfs {} {} {}", kGuestMount, shell_quote(m.host_dir), shell_quote(m.guest_dir),
                     mode(m));
}

std::string guest_virtiofs_command(const std::string& tag, const Mount& m) {
  return fmt::format("{} virtiofs {} {} {}", kGuestMount, shell_quote(tag), shell_quote(m.guest_dir),
                     mode(m));
}

Command reverse_sshfs_command(const SshLogin& login, const Mount& m) {
  // -R: sftp-server itself refuses writes, so :ro holds even against root in the guest.
  std::string script =
      fmt::format("coproc SFTP {{ exec {}{}; }}; exec \"$@\" <&\"${{SFTP[0]}}\" >&\"${{SFTP[1]}}\"",
                  kSftpServer, m.read_only ? " -R" : "");
  Command c{"bash", {"-c", script, "reverse-sshfs", "ssh"}};
  auto opts = ssh_options(login);
  c.args.insert(c.args.end(), opts.begin(), opts.end());
  c.args.push_back(login.user + "@" + login.host);
  c.args.push_back(guest_sshfs_command(m));
  return c;
}

Command host_sshfs_command(const SshLogin& l, const std::string& guest_dir, const std::string& local_dir) {
  return Command{"sshfs",
                 {fmt::format("{}@{}:{}", l.user, l.host, guest_dir), local_dir, "-F", "/dev/null", "-p",
                  std::to_string(l.port), "-o", "IdentityFile=" + l.key.string(), "-o", "IdentitiesOnly=yes",
                  "-o", "UserKnownHostsFile=" + l.known_hosts.string(), "-o", "StrictHostKeyChecking=yes",
                  "-o", "BatchMode=yes", "-o", "LogLevel=ERROR"}};
}

void start_reverse_sshfs(ProcessRunner& runner, const sfs::path& machine_dir, const SshLogin& login,
                         const Mount& mount, size_t index) {
  stop_helper(pidfile(machine_dir, index), machine_dir.string());
  require_program(runner, "bash", "bash");
  require_program(runner, "ssh", "openssh-client");
  require_program(runner, kSftpServer, kSftpServerPackage);
  machine::fs::ensure_private_dir(mounts_dir(machine_dir));
  start_helper(runner, reverse_sshfs_command(login, mount), pidfile(machine_dir, index),
               logfile(machine_dir, index));
}

bool reverse_sshfs_alive(const sfs::path& machine_dir, size_t index) {
  return live_helper(pidfile(machine_dir, index), machine_dir.string()) != 0;
}

std::string reverse_sshfs_log(const sfs::path& machine_dir, size_t index) {
  std::ifstream in(logfile(machine_dir, index));
  std::stringstream ss;
  ss << in.rdbuf();
  auto s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s.size() > 1000 ? s.substr(s.size() - 1000) : s;
}

void stop_reverse_sshfs(const sfs::path& machine_dir) {
  auto dir = mounts_dir(machine_dir);
  std::error_code ec;
  if (!sfs::is_directory(dir, ec)) return;
  std::vector<sfs::path> pids;
  for (const auto& e : sfs::directory_iterator(dir, ec))
    if (e.path().filename().string().rfind("sshfs-", 0) == 0 && e.path().extension() == ".pid")
      pids.push_back(e.path());
  for (const auto& p : pids) stop_helper(p, machine_dir.string());
}

}  // namespace machine::drivers::common
