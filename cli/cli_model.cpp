#include "cli/cli_model.h"

#include "cli/command.h"
#include "drivers/registry.h"

namespace machine::cli {
namespace {

// A host path is expected: completion offers files. By name, because flags carry no type
// beyond string/int/bool/list.
bool is_path_flag(const std::string& name) {
  for (const char* suffix : {"-key", "-cert", "-image", "-url", "storage-path"})
    if (name.size() >= std::string(suffix).size() &&
        name.compare(name.size() - std::string(suffix).size(), std::string::npos, suffix) == 0)
      return name != "engine-install-url";
  return false;
}

ModelFlag model_flag(const FlagSpec& spec, std::vector<std::string> choices = {}) {
  ModelFlag f{spec, spec.kind != FlagKind::Bool, std::move(choices), false};
  f.file_value = f.takes_value && f.choices.empty() && is_path_flag(spec.names.front());
  return f;
}

ArgKind args_of(const std::string& command, std::vector<std::string>& words) {
  if (command == "active" || command == "ls" || command == "version") return ArgKind::None;
  if (command == "create") return ArgKind::NewName;
  if (command == "scp" || command == "mount") return ArgKind::MachinePaths;
  if (command == "ssh") return ArgKind::SshCommand;
  if (command == "image") words = {"build", "ls", "rm"};
  if (command == "network") words = {"ls", "rm"};
  if (command == "completion") words = {"bash", "zsh", "fish"};
  return words.empty() ? ArgKind::Machines : ArgKind::Subcommands;
}

}  // namespace

std::string dashed(const std::string& flag_name) { return (flag_name.size() == 1 ? "-" : "--") + flag_name; }

CliModel cli_model() {
  CliModel m;
  m.shells = {"bash", "zsh", "fish", "tcsh", "powershell", "cmd", "emacs"};
  m.default_driver = std::string(drivers::default_driver_name());
  std::vector<std::string> driver_names;
  for (const auto& d : drivers::registry()) driver_names.emplace_back(d.name);

  for (const auto& g : global_flags("$HOME/.docker/machine")) m.global_flags.push_back(model_flag(g));

  for (const auto& c : command_table()) {
    if (c.hidden) continue;
    ModelCommand mc{c.name, c.usage, c.description, {}, ArgKind::Machines, {}};
    mc.args = args_of(c.name, mc.words);
    for (const auto& f : c.flags) {
      std::vector<std::string> choices;
      if (c.name == "create" && f.names.front() == "driver") choices = driver_names;
      if (c.name == "create" && f.names.front() == "mount-type") choices = {"virtiofs", "sshfs"};
      if (c.name == "env" && f.names.front() == "shell") choices = m.shells;
      mc.flags.push_back(model_flag(f, choices));
    }
    m.commands.push_back(std::move(mc));
  }
  ModelCommand help{"help",
                    "Shows a list of commands or help for one command",
                    "Argument is a command name.",
                    {},
                    ArgKind::Subcommands,
                    {}};
  for (const auto& c : m.commands) help.words.push_back(c.name);
  m.commands.push_back(std::move(help));

  for (const auto& d : drivers::registry()) {
    ModelDriver md{std::string(d.name), std::string(d.description), {}};
    for (const auto& f : d.flags()) md.flags.push_back(model_flag(flag_spec(f), f.choices));
    m.drivers.push_back(std::move(md));
  }
  return m;
}

}  // namespace machine::cli
