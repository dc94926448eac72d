#include "provisioner/ssh/ssh_command.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>

#include "machine/error.h"
#include "machine/run_attached.h"

namespace machine::ssh {

SshBackend choose_ssh_backend(bool native_flag, ProcessRunner& runner) {
  if (native_flag) return SshBackend::Native;
  return runner.find_program("ssh") ? SshBackend::External : SshBackend::Native;
}

std::string join_remote_command(const std::vector<std::string>& command) {
  std::string out;
  for (const auto& word : command) {
    if (!out.empty()) out += ' ';
    out += word;
  }
  return out;
}

namespace {

// ssh splits a file option's value on spaces (it takes a list); quote it to keep one path.
std::string ssh_option_path(const std::filesystem::path& p) {
  std::string s = p.string();
  if (s.find_first_of(" \t\"\\'") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') q += '\\';
    q += c;
  }
  return q + "\"";
}

}  // namespace

std::vector<std::string> external_ssh_options(const SshEndpoint& endpoint) {
  // One option per line. The user's ~/.ssh/config must not change which key or host key is used.
  // clang-format off
  return {
      "-F", "/dev/null",
      "-o", "BatchMode=yes",
      "-o", "ConnectionAttempts=3",
      "-o", "ConnectTimeout=10",
      "-o", "ControlMaster=no",
      "-o", "ControlPath=none",
      "-o", "LogLevel=quiet",
      "-o", "PasswordAuthentication=no",
      "-o", "ServerAliveInterval=60",
      "-o", "StrictHostKeyChecking=yes",
      "-o", "CheckHostIP=no",
      "-o", "UserKnownHostsFile=" + ssh_option_path(endpoint.known_hosts),
      "-o", "GlobalKnownHostsFile=/dev/null",
      "-o", "IdentitiesOnly=yes",
      "-i", endpoint.private_key.string(),
  };
  // clang-format on
}

std::vector<std::string> external_ssh_argv(const std::filesystem::path& ssh_program,
                                           const SshEndpoint& endpoint,
                                           const std::vector<std::string>& command, bool force_tty) {
  std::vector<std::string> argv{ssh_program.string()};
  auto options = external_ssh_options(endpoint);
  argv.insert(argv.end(), options.begin(), options.end());
  argv.insert(argv.end(), {"-p", std::to_string(endpoint.port), "-l", endpoint.user});
  if (force_tty) argv.push_back("-t");
  // No "--" before the host: ssh reads options that follow the destination, and
  // docker-machine users rely on that (`machine ssh vm -C "echo foo"`). The host comes from
  // the driver, never from the command line; one starting with '-' is refused.
  if (endpoint.host.empty() || endpoint.host.front() == '-')
    fail(Code::InvalidArgument, fmt::format("ssh host \"{}\" is not a host name or address", endpoint.host));
  argv.push_back(endpoint.host);
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

int run_native_ssh(SshClient& client, const SshEndpoint& endpoint, const std::vector<std::string>& given,
                   const SshCommandOptions& options) {
  // The system ssh ends its options at "--"; here there are none, so it is just dropped.
  std::vector<std::string> command = given;
  if (!command.empty() && command.front() == "--") command.erase(command.begin());
  auto session = client.connect(endpoint, options.ssh);
  if (command.empty()) {
    ShellOptions shell;
    shell.in_fd = options.in_fd;
    shell.out_fd = options.out_fd;
    shell.err_fd = options.err_fd;
    shell.pty = ::isatty(options.in_fd) == 1;  // like ssh: a PTY only for a terminal
    shell.term = options.term;
    return session->shell(shell);
  }
  auto write_to = [](int fd) {
    return [fd](std::string_view d) {
      while (!d.empty()) {
        ssize_t n = ::write(fd, d.data(), d.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return;
        d.remove_prefix(static_cast<size_t>(n));
      }
    };
  };
  ExecIo io;
  io.on_stdout = write_to(options.out_fd);
  io.on_stderr = write_to(options.err_fd);
  io.stdin_fd = options.in_fd;
  return session->exec(join_remote_command(command), io);
}

int run_ssh_command(const SshEndpoint& endpoint, const std::vector<std::string>& command,
                    ProcessRunner& runner, const SshCommandOptions& options) {
  if (options.backend == SshBackend::Native) {
    auto client = make_libssh2_client();
    return run_native_ssh(*client, endpoint, command, options);
  }
  auto ssh = require_program(runner, "ssh", "openssh-client");
  auto argv = external_ssh_argv(ssh, endpoint, command);
  return run_attached(Command{argv[0], {argv.begin() + 1, argv.end()}}, options.in_fd, options.out_fd,
                      options.err_fd);
}

}  // namespace machine::ssh
