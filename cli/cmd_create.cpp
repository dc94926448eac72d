// `create`: its flags depend on the driver (-d), so it parses its own arguments.
#include <fmt/format.h>

#include <algorithm>
#include <regex>

#include "cli/command.h"
#include "drivers/registry.h"
#include "machine/error.h"

namespace machine::cli {
namespace {

// docker-machine's flagHackLookup: the driver is known before the full parse.
std::string driver_from_args(const std::vector<std::string>& args, const Invocation& inv) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") break;
    for (const char* name : {"-d", "--d", "-driver", "--driver"}) {
      if (a == name && i + 1 < args.size()) return args[i + 1];
      std::string prefix = std::string(name) + "=";
      if (a.rfind(prefix, 0) == 0) return a.substr(prefix.size());
    }
  }
  auto env = inv.getenv("MACHINE_DRIVER");
  if (env && !env->empty()) return *env;
  return std::string(drivers::default_driver_name());
}

constexpr const char* kHint =
    "To see how to connect your Docker Client to the Docker Engine running on this virtual machine, run: ";

// Forwards progress and notes whether ops printed the closing env hint itself.
class HintWatcher final : public Progress {
 public:
  explicit HintWatcher(Progress& inner) : inner_(inner) {}
  void step(std::string_view line) override {
    if (line.rfind(kHint, 0) == 0) hint_seen = true;
    inner_.step(line);
  }
  void status(std::string_view line) override { inner_.status(line); }
  bool hint_seen = false;

 private:
  Progress& inner_;
};

FlagKind kind_of(drivers::Flag::Kind k) {
  switch (k) {
    case drivers::Flag::Kind::Bool:
      return FlagKind::Bool;
    case drivers::Flag::Kind::Int:
      return FlagKind::Int;
    case drivers::Flag::Kind::StringList:
      return FlagKind::StringList;
    default:
      return FlagKind::String;
  }
}

// Shared flags plus the driver's, sorted by their help line as docker-machine does.
std::vector<FlagSpec> create_flags(const std::vector<drivers::Flag>& driver_flags) {
  auto specs = shared_create_flags();
  for (const auto& f : driver_flags)
    specs.push_back({{f.name}, kind_of(f.kind), f.usage, f.env, f.default_value});
  std::sort(specs.begin(), specs.end(),
            [](const FlagSpec& a, const FlagSpec& b) { return flag_help_line(a) < flag_help_line(b); });
  return specs;
}

std::vector<drivers::Flag> driver_create_flags(const std::string& driver, Invocation& inv) {
  NullProgress progress;
  drivers::Context ctx{"flag-lookup", inv.store->machine_dir("flag-lookup"), inv.store->root(), *inv.runner,
                       progress};
  return drivers::make_driver(driver, ctx)->create_flags();
}

// create's help also lists the drivers built in, each with its one-line description.
CommandSpec with_driver_list(const CommandSpec& create) {
  CommandSpec spec = create;
  spec.description += "\n\nDrivers:";
  for (const auto& d : drivers::registry()) spec.description += fmt::format("\n   {}\t{}", d.name, d.description);
  return spec;
}

}  // namespace

int cmd_create(Invocation& inv) {
  const CommandSpec spec = with_driver_list(*find_command("create"));
  std::string driver = driver_from_args(inv.cmd.args, inv);
  auto dflags = driver_create_flags(driver, inv);
  auto specs = create_flags(dflags);
  auto with_help = specs;
  with_help.push_back({{"help", "h"}, FlagKind::Bool, "show help", "", ""});
  ParsedArgs parsed;
  try {
    parsed = parse_flags(with_help, inv.cmd.args, inv.io.getenv);
  } catch (const Error& e) {
    // docker-machine's create re-runs the app with the driver's flags and returns its error
    // to runCommand, which exits 1 (unlike other commands' usage errors, kExitUsage).
    inv.out() << "Incorrect Usage.\n\n" << command_help(spec, specs);
    inv.err() << e.what() << "\n";
    return kExitError;
  }
  auto& f = parsed.flags;
  if (f.boolean("help")) {
    inv.out() << command_help(spec, specs);
    return kExitOk;
  }
  if (parsed.args.size() > 1) {
    std::string extra;
    for (size_t i = 1; i < parsed.args.size(); ++i) extra += (i > 1 ? " " : "") + parsed.args[i];
    fail(Code::InvalidArgument, fmt::format("Invalid command line. Found extra arguments [{}]", extra));
  }
  if (parsed.args.empty()) {
    inv.out() << command_help(spec, specs);
    fail(Code::InvalidArgument, "Error: No machine name specified");
  }
  const std::string name = parsed.args.front();
  if (!valid_machine_name(name))
    fail(Code::InvalidArgument, "Error creating machine: " + invalid_machine_name_message(name));
  inv.store->require_socket_paths_fit(name);
  std::string discovery = f.string("swarm-discovery");
  if (!discovery.empty() && !std::regex_search(discovery, std::regex("[^:]*://.*")))
    fail(Code::InvalidArgument,
         fmt::format("Error parsing swarm discovery: Swarm Discovery URL was in the wrong "
                     "format: {}",
                     discovery));
  if (inv.store->exists(name))
    fail(Code::AlreadyExists, fmt::format("Docker machine \"{}\" already exists", name));

  ops::CreateRequest req;
  req.name = name;
  req.driver = driver;
  for (const auto& df : dflags)
    if (f.has(df.name)) req.flags.set(df.name, f.list(df.name), f.is_set(df.name));
  auto& e = req.engine;
  e.arbitrary_flags = f.list("engine-opt");
  e.env = f.list("engine-env");
  e.insecure_registry = f.list("engine-insecure-registry");
  e.labels = f.list("engine-label");
  e.registry_mirror = f.list("engine-registry-mirror");
  e.storage_driver = f.string("engine-storage-driver");
  e.tls_verify = true;
  e.install_url = f.string("engine-install-url");
  auto& s = req.swarm;
  s.is_swarm = f.boolean("swarm") || f.boolean("swarm-master");
  s.image = f.string("swarm-image");
  s.agent = f.boolean("swarm");
  s.master = f.boolean("swarm-master");
  s.discovery = discovery;
  s.address = f.string("swarm-addr");
  s.host = f.string("swarm-host");
  s.strategy = f.string("swarm-strategy");
  s.arbitrary_flags = f.list("swarm-opt");
  s.arbitrary_join_flags = f.list("swarm-join-opt");
  s.is_experimental = f.boolean("swarm-experimental");
  req.tls_sans = f.list("tls-san");
  req.keep_on_failure = f.boolean("keep-on-failure");
  req.docker_context = !f.boolean("no-docker-context");
  req.mounts = f.list("mount");
  req.no_mounts = f.boolean("no-mounts");
  req.mount_type = f.string("mount-type");
  req.home = inv.getenv("HOME").value_or("");

  // docker-machine ends create with the env hint; print it unless ops already did.
  HintWatcher progress(*inv.progress);
  ops::Env env{inv.env->store, inv.env->runner, progress, inv.env->tls, inv.env->native_ssh,
               inv.env->forwarder_program};
  try {
    ops::create(env, req);
  } catch (const Error& err) {
    inv.err() << err.what() << "\n";
    if (err.code() == Code::Cancelled) return kExitInterrupted;
    return err.code() == Code::FailedPrecondition ? kExitPreCreate : kExitError;
  }
  if (!progress.hint_seen) inv.out() << fmt::format("{}{} env {}\n", kHint, inv.program, name) << std::flush;
  return kExitOk;
}

}  // namespace machine::cli
