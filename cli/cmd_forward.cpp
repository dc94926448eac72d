// `machine __forward NAME`: the per-machine port forwarder, spawned detached by create and
// start (provisioner/ops_forward.cpp). Its stdout is the machine's forwarder.log.
#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>
#include <csignal>

#include "cli/command.h"
#include "machine/error.h"

namespace machine::cli {

int cmd_forward(Invocation& inv) {
  if (inv.cmd.args.size() != 1)
    fail(Code::InvalidArgument, "Error: Expected one machine name as an argument");
  std::string name = inv.cmd.args.front();
  inv.store->load(name);
  // A VM going down under an engine request closes the socket mid-write; the forwarder
  // reconnects, so that must be an error return, not SIGPIPE's death.
  ::signal(SIGPIPE, SIG_IGN);
  ops::run_forwarder(*inv.env, name, [&inv](const std::string& line) {
    auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    inv.out() << fmt::format("{:%Y-%m-%dT%H:%M:%SZ} {}", now, line) << std::endl;
  });
  return kExitOk;
}

}  // namespace machine::cli
