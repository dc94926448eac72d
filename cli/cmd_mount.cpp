// `machine mount [-u] NAME:/path/in/vm /local/dir`: docker-machine's command, a machine's
// directory mounted on the host with the host's sshfs (provisioner/ops_mounts.cpp).
#include <fmt/format.h>

#include "cli/command.h"
#include "machine/error.h"

namespace machine::cli {

int cmd_mount(Invocation& inv) {
  const auto& args = inv.cmd.args;
  bool unmount = inv.cmd.flags.boolean("unmount");
  if (args.size() != 2)
    fail(Code::InvalidArgument, "Error: Expected 2 arguments: machine:/path/in/vm /local/mountpoint");
  auto colon = args[0].find(':');
  if (colon == std::string::npos)
    fail(Code::InvalidArgument,
         fmt::format("Error: \"{}\" is not machine:/path (e.g. {} mount vm1:/tmp/d ./d)", args[0],
                     inv.program));
  std::string name = args[0].substr(0, colon), path = args[0].substr(colon + 1);
  require_valid_machine_name(name);
  if (path.empty()) path = "/home/docker";  // docker-machine mounts the login's home by default
  if (unmount) {
    ops::unmount_on_host(*inv.env, args[1]);
    return kExitOk;
  }
  inv.store->load(name);
  ops::mount_on_host(*inv.env, name, path, args[1]);
  return kExitOk;
}

}  // namespace machine::cli
