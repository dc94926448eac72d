// `machine ssh` and `machine scp`: the provisioner's SSH layer does the work; the CLI
// resolves machines to endpoints and passes the terminal through.
#include <fmt/format.h>

#include "cli/command.h"
#include "machine/error.h"
#include "machine/run_attached.h"
#include "provisioner/ssh/scp.h"
#include "provisioner/ssh/scp_args.h"
#include "provisioner/ssh/scp_external.h"
#include "provisioner/ssh/ssh_command.h"

namespace machine::cli {

int cmd_ssh(Invocation& inv) {
  // Arguments are [machine-name] [ssh options and command...]: everything after the name
  // reaches ssh after the destination, as docker-machine passes it (`-C "echo foo"`).
  std::vector<std::string> args = inv.cmd.args;
  std::string name;
  if (args.empty() || args.front() == "--") {
    if (!args.empty()) args.erase(args.begin());
    inv.cmd.args.clear();
    name = target_host(inv);
  } else {
    name = args.front();
    require_valid_machine_name(name);
    args.erase(args.begin());
  }
  inv.store->load(name);
  auto endpoint = ops::ssh_endpoint(*inv.env, name);
  ssh::SshCommandOptions options;
  options.backend = ssh::choose_ssh_backend(inv.env->native_ssh, *inv.runner);
  options.ssh.machine_name = name;
  options.term = inv.getenv("TERM").value_or("xterm");
  inv.out().flush();
  inv.err().flush();
  int status = ssh::run_ssh_command(endpoint, args, *inv.runner, options);
  if (status == 0) return kExitOk;
  // docker-machine logs the failed command's error (Go's exec.ExitError, or the native
  // client's ssh.ExitError) and exits 1.
  inv.err() << (options.backend == ssh::SshBackend::External
                    ? fmt::format("exit status {}", status)
                    : fmt::format("Process exited with status {}", status))
            << "\n";
  return kExitError;
}

int cmd_scp(Invocation& inv) {
  ssh::ScpRequest request = ssh::parse_scp_args(inv.cmd.args);
  for (const auto& loc : request.sources)
    if (loc.is_remote()) require_valid_machine_name(loc.machine);
  if (request.destination.is_remote()) require_valid_machine_name(request.destination.machine);
  // The system scp by default, as docker-machine (see scp_external.h for when the native
  // client runs instead).
  auto scp_machine = ssh::external_scp_machine(request);
  auto scp_program = inv.runner->find_program("scp");
  if (!inv.env->native_ssh && scp_machine && scp_program) {
    inv.store->load(*scp_machine);
    auto endpoint = ops::ssh_endpoint(*inv.env, *scp_machine);
    inv.out().flush();
    inv.err().flush();
    auto argv = ssh::external_scp_argv(*scp_program, request, endpoint);
    int status = run_attached(Command{argv[0], {argv.begin() + 1, argv.end()}});
    if (status == 0) return kExitOk;
    inv.err() << fmt::format("exit status {}", status) << "\n";
    return kExitError;
  }
  auto client = ssh::make_libssh2_client();
  ssh::ScpOptions options;
  if (!request.quiet)
    options.on_progress = [&](std::string_view line) { inv.out() << line << "\n" << std::flush; };
  auto resolve = [&](const std::string& machine_name) {
    inv.store->load(machine_name);
    return ops::ssh_endpoint(*inv.env, machine_name);
  };
  ssh::run_scp(request, resolve, *client, options);
  return kExitOk;
}

}  // namespace machine::cli
