// `create`: its flags depend on the driver (-d), so it parses its own arguments.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <regex>

#include "cli/command.h"
#include "drivers/registry.h"
#include "machine/cancel.h"
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

// Forwards progress, notes whether ops printed the closing env hint itself, and times each
// step for the closing summary.
class HintWatcher final : public Progress {
 public:
  using Clock = std::chrono::steady_clock;
  explicit HintWatcher(Progress& inner) : inner_(inner) {}
  void step(std::string_view line) override {
    if (line.rfind(kHint, 0) == 0)
      hint_seen = true;
    else
      steps_.emplace_back(std::string(line), Clock::now());
    inner_.step(line);
  }
  void status(std::string_view line) override { inner_.status(line); }
  bool hint_seen = false;

  // "Created "vm1" in 41.8 s: 24.1 s Waiting for machine to be running, 9.3 s Creating
  // machine, 3.0 s Provisioning with machineos": the three longest steps, one line.
  std::string summary(const std::string& name) const {
    auto end = Clock::now();
    std::vector<std::pair<double, std::string>> spans;
    for (size_t i = 0; i < steps_.size(); ++i) {
      auto until = i + 1 < steps_.size() ? steps_[i + 1].second : end;
      std::string label = steps_[i].first;
      while (!label.empty() && (label.back() == '.' || label.back() == ' ')) label.pop_back();
      spans.emplace_back(std::chrono::duration<double>(until - steps_[i].second).count(), label);
    }
    std::stable_sort(spans.begin(), spans.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    std::string s =
        fmt::format("Created \"{}\" in {:.1f} s", name, std::chrono::duration<double>(end - begin_).count());
    for (size_t i = 0; i < spans.size() && i < 3; ++i)
      s += fmt::format("{} {:.1f} s {}", i ? "," : ":", spans[i].first, spans[i].second);
    return s;
  }

 private:
  Progress& inner_;
  Clock::time_point begin_ = Clock::now();
  std::vector<std::pair<std::string, Clock::time_point>> steps_;
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
  for (const auto& f : driver_flags) specs.push_back(flag_spec(f));
  std::sort(specs.begin(), specs.end(),
            [](const FlagSpec& a, const FlagSpec& b) { return flag_help_line(a) < flag_help_line(b); });
  return specs;
}

// create's help also lists the drivers built in, each with its one-line description.
CommandSpec with_driver_list(const CommandSpec& create) {
  CommandSpec spec = create;
  spec.description += "\n\nDrivers:";
  for (const auto& d : drivers::registry())
    spec.description += fmt::format("\n   {}\t{}", d.name, d.description);
  return spec;
}

}  // namespace

FlagSpec flag_spec(const drivers::Flag& f) {
  return {{f.name}, kind_of(f.kind), f.usage, f.env, f.default_value};
}

std::vector<FlagSpec> create_flag_specs(const std::string& driver) {
  return create_flags(drivers::driver_flags(driver));
}

int cmd_create(Invocation& inv) {
  const CommandSpec spec = with_driver_list(*find_command("create"));
  std::string driver = driver_from_args(inv.cmd.args, inv);
  auto specs = create_flag_specs(driver);
  auto with_help = specs;
  with_help.push_back({{"help", "h"}, FlagKind::Bool, "show help", "", ""});
  ParsedArgs parsed;
  try {
    parsed = parse_flags(with_help, inv.cmd.args, inv.io.getenv);
  } catch (const Error& e) {
    // docker-machine's create re-runs the app with the driver's flags and returns its error
    // to runCommand, which exits 1 (as all usage errors do here, kExitUsage).
    print_usage_error(inv.out(), inv.err(), spec, specs, e.what());
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
  for (const auto& df : drivers::driver_flags(driver))
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
  ops::Env env{inv.env->store, inv.env->runner,     progress,
               inv.env->tls,   inv.env->native_ssh, inv.env->forwarder_program};
  try {
    ops::create(env, req);
  } catch (const Error& err) {
    inv.err() << err.what() << "\n";
    if (err.code() == Code::Cancelled) return cancel_exit_status();  // 130, 143 or 129
    return err.code() == Code::FailedPrecondition ? kExitPreCreate : kExitError;
  }
  if (!progress.hint_seen) inv.out() << fmt::format("{}{} env {}\n", kHint, inv.program, name) << std::flush;
  if (!inv.global.boolean("quiet")) inv.out() << progress.summary(name) << "\n" << std::flush;
  return kExitOk;
}

}  // namespace machine::cli
