#pragma once
// The command line as data, for the generated documents: shell completion (completion.h)
// and the man page (manpage.h). Built from the one command table (command_table(),
// global_flags()) and the driver registry, so a new command, flag or driver shows up in
// every document without being listed again.
#include <string>
#include <vector>

#include "cli/flags.h"

namespace machine::cli {

// What a command's positional arguments are, for completion.
enum class ArgKind {
  None,          // active, ls, version
  NewName,       // create: a name that does not exist yet
  Machines,      // one or more machine names
  Subcommands,   // image, network, completion, help: a fixed word list
  MachinePaths,  // scp, mount: [machine:]path or a local path
  SshCommand,    // ssh: a machine name, then a command for the machine
};

struct ModelFlag {
  FlagSpec spec;
  bool takes_value = false;          // String, Int, StringList
  std::vector<std::string> choices;  // value words to complete (--shell fish, -d qemu)
  bool file_value = false;           // the value is a host path (--tls-ca-cert, --qemu-boot2docker-url ...)
};

struct ModelCommand {
  std::string name;
  std::string usage;
  std::string description;
  std::vector<ModelFlag> flags;  // create: the shared flags only (drivers carry their own)
  ArgKind args = ArgKind::Machines;
  std::vector<std::string> words;  // ArgKind::Subcommands
};

struct ModelDriver {
  std::string name;
  std::string description;
  std::vector<ModelFlag> flags;
};

struct CliModel {
  std::string program = "machine";
  std::vector<ModelFlag> global_flags;
  std::vector<ModelCommand> commands;  // visible ones, in table order, then help and completion
  std::vector<ModelDriver> drivers;    // registry order; the first is the default
  std::string default_driver;
  std::vector<std::string> shells;  // env --shell values
};

CliModel cli_model();

// "--name" for long names, "-n" for one letter.
std::string dashed(const std::string& flag_name);

}  // namespace machine::cli
