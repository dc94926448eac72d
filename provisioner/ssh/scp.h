#pragma once
// File transfer over SFTP: upload/download for the provisioner, and `machine scp` (local to
// machine, machine to local, machine to machine streamed through this host, local to local).
// Semantics follow scp: a destination that is an existing directory receives the source by
// name; directories need `recursive`; permission bits are kept; symlinks are followed.
//
// `delta` (-d) replaces docker-machine's rsync: a file whose destination already has the same
// size and modification time is skipped (rsync's quick check), and copied files get the
// source's mtime so the next delta run can skip them. No rsync is needed on either side.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "provisioner/ssh/scp_args.h"
#include "provisioner/ssh/ssh.h"

namespace machine::ssh {

struct TransferOptions {
  bool recursive = false;
  bool delta = false;
  // Called after each regular file: where from, where to, its size and whether delta skipped it.
  std::function<void(const std::string& from, const std::string& to, std::uint64_t bytes, bool skipped)>
      on_file;
};

// Copies a local file or directory to remote (relative remote paths start at the home directory).
void upload(SshSession& session, const std::filesystem::path& local, const std::string& remote,
            const TransferOptions& options = {});
// Copies a remote file or directory to local.
void download(SshSession& session, const std::string& remote, const std::filesystem::path& local,
              const TransferOptions& options = {});

// Maps a machine name to its SSH endpoint (supplied by the caller: store + driver).
// Throws Error(NotFound) for an unknown machine.
using MachineResolver = std::function<SshEndpoint(const std::string& machine)>;

struct ScpOptions {
  SshOptions ssh;  // timeouts and policy; machine_name is set per machine
  // A progress line per file ("SRC -> DST (N bytes)") unless the request is quiet.
  std::function<void(std::string_view line)> on_progress;
};

// Performs a parsed `machine scp` request. One SSH session per distinct [user@]machine.
// Throws Error with "scp:" context on the first failure (earlier files stay copied).
void run_scp(const ScpRequest& request, const MachineResolver& resolve, SshClient& client,
             const ScpOptions& options = {});

// `~`, `~/x` and "" become paths relative to the remote home directory ("." and "x"), since
// SFTP does not expand `~`.
std::string normalize_remote_path(const std::string& path);

}  // namespace machine::ssh
