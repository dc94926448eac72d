// `machine network ls | rm [-f] NAME...`: the store's private VM-to-VM networks
// (--qemu-network), their subnets, machines and switches (not a docker-machine command:
// its VirtualBox host-only networks lived in VirtualBox).
#include <fmt/format.h>

#include "cli/command.h"
#include "cli/tabwriter.h"
#include "drivers/network/network_store.h"
#include "machine/error.h"

namespace machine::cli {
namespace {

std::string usage() { return "Error: Expected a subcommand: ls, rm [-f] NAME..."; }

}  // namespace

int cmd_network(Invocation& inv) {
  const auto& args = inv.cmd.args;
  if (args.empty()) fail(Code::InvalidArgument, usage());
  drivers::network::NetworkStore networks(inv.store->root(), *inv.runner);
  const std::string& sub = args[0];
  if (sub == "ls") {
    if (args.size() != 1) fail(Code::InvalidArgument, "Error: Too many arguments given");
    std::string table = "NAME\tSUBNET\tMACHINES\tSWITCH\n";
    std::vector<nlohmann::json> rows;
    for (const auto& n : networks.list()) {
      std::string machines;
      auto names = drivers::network::machine_names(n.config);
      for (const auto& m : names) machines += (machines.empty() ? "" : ",") + m;
      table += fmt::format("{}\t{}\t{}\t{}\n", n.config.name, n.config.subnet.to_string(),
                           machines.empty() ? "-" : machines, n.switch_running ? "Running" : "Stopped");
      rows.push_back({{"Name", n.config.name},
                      {"Subnet", n.config.subnet.to_string()},
                      {"Machines", names},
                      {"Switch", n.switch_running ? "Running" : "Stopped"}});
    }
    if (!print_formatted(inv, rows)) inv.out() << tabwrite(table, {5, 1, 3, ' '});
    return kExitOk;
  }
  if (sub == "rm") {
    if (args.size() < 2) fail(Code::InvalidArgument, "Error: Expected one or more network names");
    std::string errors;
    for (size_t i = 1; i < args.size(); ++i) {
      try {
        networks.remove(args[i], inv.cmd.flags.boolean("force"));
        inv.out() << "Removed " << args[i] << "\n";
      } catch (const Error& e) {
        errors +=
            (errors.empty() ? "" : "\n") + fmt::format("Error removing network {}: {}", args[i], e.what());
      }
    }
    if (!errors.empty()) fail(Code::FailedPrecondition, errors);
    return kExitOk;
  }
  fail(Code::InvalidArgument,
       fmt::format("Error: Unknown network subcommand \"{}\". {}", sub, usage().substr(7)));
}

}  // namespace machine::cli
