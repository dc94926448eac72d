#pragma once
// Internal to cli/: what a command implementation receives, and the command table.
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "cli/app.h"
#include "cli/flags.h"
#include "drivers/driver.h"
#include "machine/process_runner.h"
#include "machine/store.h"
#include "provisioner/ops.h"

namespace machine::cli {

// Exit statuses, as docker-machine's.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitPreCreate = 3;
inline constexpr int kExitInterrupted = 130;  // Ctrl-C, as shells report SIGINT
// A flag that does not parse: codegangsta/cli prints "Incorrect Usage." and the help on
// stdout and returns the error, which docker-machine's main only logs (stderr), so it
// exited 0. We keep its texts but exit 1: a script must see that a command did not run
// (issue 18's hostile-input rule; a deliberate difference, cli/README.md).
inline constexpr int kExitUsage = 1;

struct Invocation {
  Io& io;
  std::vector<std::string> argv;  // the whole command line (env's usage hint repeats it)
  std::string program;            // argv[0] as typed, for hints ("machine env vm1")
  ParsedFlags global;
  ParsedArgs cmd;
  std::unique_ptr<Store> store;
  std::unique_ptr<ProcessRunner> runner;
  std::unique_ptr<Progress> progress;
  std::unique_ptr<ops::Env> env;

  std::ostream& out() { return io.out; }
  std::ostream& err() { return io.err; }
  std::optional<std::string> getenv(const std::string& name) const { return io.getenv(name); }
};

struct CommandSpec {
  std::string name;
  std::string usage;        // one line for the command list
  std::string description;  // "Argument is a machine name."
  std::vector<FlagSpec> flags;
  int (*run)(Invocation&);
  bool skip_flag_parsing = false;  // create (driver-dependent flags) and ssh
  bool needs_store = true;
  bool hidden = false;  // internal (__forward): not in the command list
};

const std::vector<CommandSpec>& command_table();
const CommandSpec* find_command(const std::string& name);

// Help texts, formatted like docker-machine's (codegangsta/cli templates, tab-aligned).
std::string app_help(const std::string& program, const std::string& storage_default);
std::string command_help(const CommandSpec& cmd, const std::vector<FlagSpec>& flags);
std::string version_line(const std::string& program);

// "default" when no name is given and that machine exists, else docker-machine's error.
std::string target_host(Invocation& inv);
// The names a multi-machine command acts on ("default" when none given).
std::vector<std::string> target_hosts(Invocation& inv);

// `ls --format` for our list commands (image ls, network ls): "json" prints each row as one
// JSON object per line (the docker CLI's form); another non-empty format is a Go template
// executed per row; empty means the table, which the caller prints. Returns whether it printed.
bool print_formatted(Invocation& inv, const std::vector<nlohmann::json>& rows);

// What to print for a flag parse error of command `cmd` with `flags`: a bad value of a known
// flag names the flag and the form it takes ("--qemu-memory takes a whole number, e.g.
// --qemu-memory 1024") without the whole help; anything else (an unknown flag) is
// docker-machine's "Incorrect Usage." with the help, then the error.
void print_usage_error(std::ostream& out, std::ostream& err, const CommandSpec& cmd,
                       const std::vector<FlagSpec>& flags, const std::string& error);

// Asks "<question> (y/n): " on out and reads a line from in; true for an answer starting y/Y.
bool confirm(Invocation& inv, const std::string& question);

// Commands, one function each (cmd_*.cpp).
int cmd_active(Invocation&);
int cmd_completion(Invocation&);
int cmd_config(Invocation&);
int cmd_create(Invocation&);
int cmd_env(Invocation&);
int cmd_forward(Invocation&);
int cmd_image(Invocation&);
int cmd_inspect(Invocation&);
int cmd_ip(Invocation&);
int cmd_kill(Invocation&);
int cmd_ls(Invocation&);
int cmd_man(Invocation&);
int cmd_mount(Invocation&);
int cmd_network(Invocation&);
int cmd_provision(Invocation&);
int cmd_regenerate_certs(Invocation&);
int cmd_restart(Invocation&);
int cmd_rm(Invocation&);
int cmd_scp(Invocation&);
int cmd_ssh(Invocation&);
int cmd_start(Invocation&);
int cmd_status(Invocation&);
int cmd_stop(Invocation&);
int cmd_upgrade(Invocation&);
int cmd_url(Invocation&);
int cmd_version(Invocation&);

// -s, --tls-*, --native-ssh, -D, -h, -v.
std::vector<FlagSpec> global_flags(const std::string& storage_default);

// Shared create flags (docker-machine's SharedCreateFlags plus ours).
std::vector<FlagSpec> shared_create_flags();
// Everything `create -d driver` accepts (shared + the driver's, from the registry), in help
// order. An unknown driver throws Error(InvalidArgument).
std::vector<FlagSpec> create_flag_specs(const std::string& driver);
// A driver's flag (drivers/driver.h) as the parser's FlagSpec.
FlagSpec flag_spec(const drivers::Flag& f);

}  // namespace machine::cli
