#pragma once
// `machine ssh NAME [--] [cmd...]`: the logic behind the command, for cli/ to wire. Two backends
// as in docker-machine: the system `ssh` binary (default when installed, as docker-machine does)
// and the built-in libssh2 client (`--native-ssh`). Both use the machine's key and pinned
// known_hosts; the remote exit status becomes ours.
#include <filesystem>
#include <string>
#include <vector>

#include "machine/process_runner.h"
#include "provisioner/ssh/ssh.h"

namespace machine::ssh {

enum class SshBackend { External, Native };

// Native when native_flag is set or no `ssh` is in PATH; External otherwise.
SshBackend choose_ssh_backend(bool native_flag, ProcessRunner& runner);

// The remote command line built from argv the way ssh does it: the words joined by spaces,
// interpreted by the remote shell (so `machine ssh vm 'ls /tmp | wc -l'` works as with ssh).
std::string join_remote_command(const std::vector<std::string>& command);

// The options every system ssh/scp command gets for a machine: no user config, the machine's
// key only, its pinned known_hosts (StrictHostKeyChecking=yes), batch mode. Pure.
std::vector<std::string> external_ssh_options(const SshEndpoint& endpoint);

// The full argv for the system ssh (argv[0] = ssh_program). Pure. Pins the machine's
// known_hosts (StrictHostKeyChecking=yes), uses only the machine key (IdentitiesOnly=yes) and
// ignores the user's ~/.ssh/config (-F /dev/null). force_tty adds -t. `command` follows the
// destination as docker-machine passes it, so ssh still reads leading options in it
// (`-C "echo foo"`); a "--" there ends them. Error(InvalidArgument) for a host starting with '-'.
std::vector<std::string> external_ssh_argv(const std::filesystem::path& ssh_program,
                                           const SshEndpoint& endpoint,
                                           const std::vector<std::string>& command, bool force_tty = false);

struct SshCommandOptions {
  SshBackend backend = SshBackend::External;
  SshOptions ssh;  // native backend: machine name (for errors), timeouts, policy
  int in_fd = 0;   // the local terminal/streams
  int out_fd = 1;
  int err_fd = 2;
  std::string term = "xterm";  // $TERM for an interactive PTY
};

// Runs `command` on the machine (no command: a shell, an interactive PTY one when in_fd is a
// tty) with stdin/stdout/stderr attached and returns the remote exit status (cli/ turns a
// non-zero one into docker-machine's "exit status N" and exit 1). External: ssh's
// own status (255 for ssh errors). Native: throws Error when the connection fails.
int run_ssh_command(const SshEndpoint& endpoint, const std::vector<std::string>& command,
                    ProcessRunner& runner, const SshCommandOptions& options);

// The native backend on an explicit client (tests pass a fake or the libssh2 one).
int run_native_ssh(SshClient& client, const SshEndpoint& endpoint, const std::vector<std::string>& command,
                   const SshCommandOptions& options);

}  // namespace machine::ssh
