// `machine completion bash|zsh|fish` and the hidden `machine __man` (the man page, built
// into the package): documents generated from the command table (cli_model.h).
#include <fmt/format.h>

#include "cli/command.h"
#include "cli/completion.h"
#include "cli/manpage.h"
#include "machine/error.h"
#include "machine/suggest.h"

namespace machine::cli {

int cmd_completion(Invocation& inv) {
  const auto& args = inv.cmd.args;
  const std::vector<std::string> shells{"bash", "zsh", "fish"};
  if (args.size() != 1)
    fail(Code::InvalidArgument,
         "Error: Expected one shell: bash, zsh or fish (e.g. source <(machine completion bash))");
  auto model = cli_model();
  if (args[0] == "bash")
    inv.out() << bash_completion(model);
  else if (args[0] == "zsh")
    inv.out() << zsh_completion(model);
  else if (args[0] == "fish")
    inv.out() << fish_completion(model);
  else
    fail(Code::InvalidArgument,
         fmt::format("Error: No completion for shell \"{}\".{} Expected bash, zsh or fish", args[0],
                     did_you_mean(args[0], shells)));
  return kExitOk;
}

int cmd_man(Invocation& inv) {
  if (!inv.cmd.args.empty()) fail(Code::InvalidArgument, "Error: Too many arguments given");
  inv.out() << man_page(cli_model());
  return kExitOk;
}

}  // namespace machine::cli
