#include "cli/app.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <mutex>

#include "cli/command.h"
#include "cli/host_list.h"
#include "machine/cancel.h"
#include "machine/debug_log.h"
#include "machine/error.h"
#include "machine/suggest.h"

namespace machine::cli {
namespace {

// Steps from ops go to the command's stdout, serialised across machine threads.
class StreamProgress final : public Progress {
 public:
  explicit StreamProgress(std::ostream& out) : out_(out) {}
  void step(std::string_view line) override {
    std::lock_guard lock(mu_);
    out_ << line << '\n' << std::flush;
  }
  void status(std::string_view) override {}

 private:
  std::ostream& out_;
  std::mutex mu_;
};

// With -D: each step's time since the previous one and every new status line (what a wait
// is polling for) go to the debug log too; the output itself is unchanged.
class DebugProgress final : public Progress {
 public:
  explicit DebugProgress(std::unique_ptr<Progress> inner) : inner_(std::move(inner)) {}
  void step(std::string_view line) override {
    {
      std::lock_guard lock(mu_);
      debug::logf("step after {} ms: {}", debug::elapsed_ms(last_), line);
      last_ = std::chrono::steady_clock::now();
    }
    inner_->step(line);
  }
  void status(std::string_view line) override {
    {
      std::lock_guard lock(mu_);
      if (line != last_status_) debug::logf("status: {}", line);
      last_status_ = line;
    }
    inner_->status(line);
  }

 private:
  std::unique_ptr<Progress> inner_;
  std::mutex mu_;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
  std::string last_status_;
};

// -D / --debug (anywhere before the command, as docker-machine's os.Args scan mostly finds
// it) or MACHINE_DEBUG, which docker-machine parses with strconv.ParseBool.
void setup_debug(const ParsedFlags& globals, const Io& io) {
  bool on = globals.boolean("debug");
  if (auto env = io.getenv("MACHINE_DEBUG"); env && !env->empty()) {
    auto v = debug::parse_go_bool(*env);
    if (!v)
      fail(Code::InvalidArgument,
           fmt::format("Error parsing boolean value from MACHINE_DEBUG: strconv.ParseBool: "
                       "parsing \"{}\": invalid syntax",
                       *env));
    on = *v;
  }
  debug::enable(on);
  debug::logf("Machine version: {}", MACHINE_VERSION);
}

std::string default_storage_path(const Io& io) {
  auto home = io.getenv("HOME");
  return home && !home->empty() ? *home + "/.docker/machine" : "";
}

std::string basename_of(const std::string& p) {
  auto slash = p.find_last_of('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

}  // namespace

std::optional<std::string> system_getenv(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (!v) return std::nullopt;
  return std::string(v);
}

std::string version_line(const std::string& program) {
  return fmt::format("{} version {}\n", basename_of(program), MACHINE_VERSION);
}

int run(const std::vector<std::string>& argv, Io& io) {
  const std::string program = argv.empty() ? "machine" : argv[0];
  const std::string app_name = basename_of(program);
  const std::string storage_default = default_storage_path(io);
  try {
    std::vector<std::string> rest(argv.begin() + (argv.empty() ? 0 : 1), argv.end());
    ParsedArgs globals;
    try {
      globals = parse_flags(global_flags(storage_default), rest, io.getenv, {.stop_at_positional = true});
    } catch (const Error& e) {
      io.out << "Incorrect Usage.\n\n" << app_help(program, storage_default);
      io.err << e.what() << "\n";
      return kExitUsage;
    }
    setup_debug(globals.flags, io);
    if (globals.flags.boolean("version")) {
      io.out << version_line(program);
      return kExitOk;
    }
    if (globals.args.empty() || globals.flags.boolean("help")) {
      io.out << app_help(program, storage_default);
      return kExitOk;
    }
    std::string name = globals.args.front();
    std::vector<std::string> cmd_args(globals.args.begin() + 1, globals.args.end());
    if (name == "help" || name == "h") {
      if (cmd_args.empty()) {
        io.out << app_help(program, storage_default);
        return kExitOk;
      }
      name = cmd_args.front();
      cmd_args = {"--help"};
    }
    const CommandSpec* cmd = find_command(name);
    if (!cmd) {
      io.err << fmt::format("{}: '{}' is not a {} command. See '{} --help'.\n", app_name, name, app_name,
                            program);
      std::vector<std::string> names{"help"};
      for (const auto& c : command_table())
        if (!c.hidden) names.push_back(c.name);
      if (auto best = closest_name(name, names)) io.err << fmt::format("Did you mean '{}'?\n", *best);
      return kExitError;
    }

    Invocation inv{io, argv, program, globals.flags, {}, nullptr, nullptr, nullptr, nullptr};
    if (cmd->skip_flag_parsing) {
      // ssh/scp pass their arguments through; create parses them once it knows the driver.
      // ssh checks only its first argument, as docker-machine (`ssh -help`, `ssh --help x`).
      bool ssh_help = cmd->name == "ssh" && !cmd_args.empty() &&
                      (cmd_args[0] == "-help" || cmd_args[0] == "--help" || cmd_args[0] == "-h");
      if (ssh_help || (cmd->name != "create" && cmd_args.size() == 1 &&
                       (cmd_args[0] == "--help" || cmd_args[0] == "-h"))) {
        io.out << command_help(*cmd, cmd->flags);
        return kExitOk;
      }
      inv.cmd.args = cmd_args;
    } else {
      auto flags = cmd->flags;
      flags.push_back({{"help", "h"}, FlagKind::Bool, "show help", "", ""});
      try {
        inv.cmd = parse_flags(flags, cmd_args, io.getenv);
      } catch (const Error& e) {
        print_usage_error(io.out, io.err, *cmd, cmd->flags, e.what());
        return kExitUsage;
      }
      if (inv.cmd.flags.boolean("help")) {
        io.out << command_help(*cmd, cmd->flags);
        return kExitOk;
      }
    }

    // completion and the man page read only the tables: they work with no HOME or store.
    if (!cmd->needs_store) return cmd->run(inv);
    std::optional<std::string> storage = globals.flags.string("storage-path");
    inv.store = std::make_unique<Store>(Store::resolve_root(storage));
    inv.runner = make_system_process_runner();
    if (globals.flags.boolean("quiet"))
      inv.progress = std::make_unique<NullProgress>();
    else
      inv.progress = io.make_progress ? io.make_progress() : std::make_unique<StreamProgress>(io.out);
    if (debug::enabled()) inv.progress = std::make_unique<DebugProgress>(std::move(inv.progress));
    ops::TlsPaths tls{globals.flags.string("tls-ca-cert"), globals.flags.string("tls-ca-key"),
                      globals.flags.string("tls-client-cert"), globals.flags.string("tls-client-key")};
    inv.env = std::make_unique<ops::Env>(ops::Env{*inv.store, *inv.runner, *inv.progress, tls,
                                                  globals.flags.boolean("native-ssh"), io.self_program});
    debug::logf("command={} args={}", cmd->name, fmt::join(inv.cmd.args, " "));
    return cmd->run(inv);
  } catch (const Error& e) {
    io.err << e.what() << "\n";
    return e.code() == Code::Cancelled ? cancel_exit_status() : kExitError;  // 130 for Ctrl-C
  } catch (const std::exception& e) {
    io.err << "Error: " << e.what() << "\n";
    return kExitError;
  }
}

void print_usage_error(std::ostream& out, std::ostream& err, const CommandSpec& cmd,
                       const std::vector<FlagSpec>& flags, const std::string& error) {
  // Go's texts: `invalid value "x" for flag -name: ...`, `invalid boolean value "x" for -name: ...`.
  for (const char* marker : {" for flag -", " for -"}) {
    auto at = error.find(marker);
    if (error.rfind("invalid ", 0) != 0 || at == std::string::npos) continue;
    auto begin = at + std::string(marker).size();
    std::string name = error.substr(begin, error.find(':', begin) - begin);
    for (const auto& f : flags) {
      if (std::find(f.names.begin(), f.names.end(), name) == f.names.end()) continue;
      std::string flag = (name.size() == 1 ? "-" : "--") + name;
      std::string form = f.kind == FlagKind::Bool ? "true or false, e.g. " + flag + "=false"
                                                  : "a whole number, e.g. " + flag + " " +
                                                        (f.default_value.empty() ? "10" : f.default_value);
      err << fmt::format("{}\n{} takes {}. See 'machine {} --help'.\n", error, flag, form, cmd.name);
      return;
    }
  }
  // docker-machine (codegangsta/cli): the help on stdout, the error on stderr.
  out << "Incorrect Usage.\n\n" << command_help(cmd, flags);
  err << error << "\n";
}

bool background_work_pending() { return pending_queries() > 0; }

std::string target_host(Invocation& inv) {
  const auto& args = inv.cmd.args;
  if (!args.empty()) {
    require_valid_machine_name(args.front());
    return args.front();
  }
  if (inv.store->exists("default")) return "default";
  fail(Code::InvalidArgument, "Error: No machine name(s) specified and no \"default\" machine exists");
}

std::vector<std::string> target_hosts(Invocation& inv) {
  if (inv.cmd.args.empty()) return {target_host(inv)};
  for (const auto& name : inv.cmd.args) require_valid_machine_name(name);
  return inv.cmd.args;
}

bool confirm(Invocation& inv, const std::string& question) {
  inv.out() << question << " (y/n): " << std::flush;
  std::string answer;
  if (!std::getline(inv.io.in, answer)) return false;
  auto first = answer.find_first_not_of(" \t");
  return first != std::string::npos && (answer[first] == 'y' || answer[first] == 'Y');
}

}  // namespace machine::cli
