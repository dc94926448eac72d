// The per-machine port forwarder's lifecycle: spawned detached by create/start/restart as
// `machine -s STORE __forward NAME`, ended by stop/kill/rm, recognised by its command line
// (a recycled pid is never signalled), reported by ls/inspect from its status file.
#include <fmt/format.h>
#include <signal.h>

#include <fstream>
#include <thread>

#include "machine/cancel.h"
#include "machine/error.h"
#include "machine/fs.h"
#include "provisioner/ops_common.h"
#include "provisioner/port_forwarder.h"

namespace machine::ops {
namespace {
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace mf = machine_files;

constexpr const char* kForwardCommand = "__forward";

int read_pid(const std::filesystem::path& file) {
  std::ifstream in(file);
  int pid = 0;
  return in >> pid && pid > 0 ? pid : 0;
}

// True when `pid` is a live forwarder of machine `name` in the store at `root`.
bool is_forwarder(int pid, const std::filesystem::path& root, const std::string& name) {
  if (pid <= 0) return false;
  std::ifstream in(fmt::format("/proc/{}/cmdline", pid), std::ios::binary);
  std::vector<std::string> args;
  for (std::string a; std::getline(in, a, '\0');) args.push_back(a);
  // A zombie has an empty command line, and so does a pid nobody holds.
  bool command = false, machine = false, store = false;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == kForwardCommand) {
      command = true;
      machine = i + 1 < args.size() && args[i + 1] == name;
    }
    std::error_code ec;
    if (args[i] == "-s" && i + 1 < args.size()) store = std::filesystem::equivalent(args[i + 1], root, ec);
  }
  return command && machine && store;
}

void remove_quietly(const std::filesystem::path& p) {
  std::error_code ec;
  std::filesystem::remove(p, ec);
}

std::string log_tail(const std::filesystem::path& log) {
  std::ifstream in(log);
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  return last;
}

}  // namespace

namespace detail {

void start_forwarder(Env& env, const Loaded& m) {
  if (env.forwarder_program.empty() || !m.driver->features().port_forwarding) return;
  const auto& name = m.host.name;
  auto dir = env.store.machine_dir(name);
  auto root = std::filesystem::absolute(env.store.root());
  if (is_forwarder(read_pid(dir / std::string(mf::kForwarderPid)), root, name)) return;
  Command cmd{env.forwarder_program, {"-s", root.string(), kForwardCommand, name}};
  cmd.working_dir = "/";
  int pid = 0;
  try {
    pid = env.runner.spawn_detached(cmd, dir / std::string(mf::kForwarderLog));
    fs::write_file_atomic(dir / std::string(mf::kForwarderPid), std::to_string(pid) + "\n");
  } catch (const Error& e) {
    env.progress.step(fmt::format("Cannot start the port forwarder of \"{}\": {}", name, e.what()));
    return;
  }
  // Up in a moment (its first status once it reached the engine); a forwarder that cannot
  // run at all is said now, not discovered later.
  auto deadline = Clock::now() + 5s;
  while (Clock::now() < deadline) {
    if (!is_forwarder(pid, root, name)) {
      env.progress.step(fmt::format("The port forwarder of \"{}\" exited: {} (see {})", name,
                                    log_tail(dir / std::string(mf::kForwarderLog)),
                                    (dir / std::string(mf::kForwarderLog)).string()));
      return;
    }
    if (forwarder::read_status(dir / std::string(mf::kForwards)).pid == pid) return;
    std::this_thread::sleep_for(50ms);
  }
}

void stop_forwarder(Env& env, const std::string& name) {
  auto dir = env.store.machine_dir(name);
  auto root = std::filesystem::absolute(env.store.root());
  int pid = read_pid(dir / std::string(mf::kForwarderPid));
  if (is_forwarder(pid, root, name)) {
    ::kill(pid, SIGTERM);
    auto deadline = Clock::now() + 3s;
    while (is_forwarder(pid, root, name) && Clock::now() < deadline) std::this_thread::sleep_for(20ms);
    if (is_forwarder(pid, root, name)) ::kill(pid, SIGKILL);
  }
  remove_quietly(dir / std::string(mf::kForwarderPid));
  remove_quietly(dir / std::string(mf::kForwards));  // the VM's forwards go with it
}

}  // namespace detail

ForwarderInfo forwarder_info(Env& env, const std::string& name) {
  detail::Loaded m = detail::load(env, name);
  ForwarderInfo info;
  info.supported = m.driver->features().port_forwarding;
  if (!info.supported) return info;
  auto dir = env.store.machine_dir(name);
  info.log = dir / std::string(mf::kForwarderLog);
  info.pid = read_pid(dir / std::string(mf::kForwarderPid));
  info.running = is_forwarder(info.pid, std::filesystem::absolute(env.store.root()), name);
  if (!info.running) {
    info.pid = 0;
    return info;
  }
  auto s = forwarder::read_status(dir / std::string(mf::kForwards));
  info.engine = s.engine;
  for (const auto& f : s.forwarded) info.forwarded.push_back(f.to_string());
  for (const auto& [f, why] : s.skipped) info.skipped.push_back(f.display() + ": " + why);
  return info;
}

std::string forwarder_problem(Env& env, const std::string& name) {
  auto info = forwarder_info(env, name);
  if (!info.supported) return "";
  if (!info.running)
    return fmt::format(
        "published ports are not forwarded: the port forwarder is not running (`start {}` restarts it)",
        name);
  std::string skipped;
  for (const auto& s : info.skipped) skipped += (skipped.empty() ? "" : "; ") + s;
  return skipped.empty() ? "" : "not forwarded: " + skipped;
}

void run_forwarder(Env& env, const std::string& name, const std::function<void(const std::string&)>& log) {
  detail::Loaded m = detail::load(env, name);
  if (!m.driver->features().port_forwarding)
    fail(Code::FailedPrecondition,
         fmt::format("machine '{}' (driver {}) needs no port forwarding", name, m.driver->name()));
  auto config = env.store.machine_file(name, mf::kConfig);
  std::function<bool()> keep_running = [config] {
    std::error_code ec;
    return !cancel_requested() && std::filesystem::exists(config, ec);
  };
  log(fmt::format("port forwarder of \"{}\" started (pid {}), publishing on {}", name, ::getpid(),
                  m.driver->publish_address()));
  forwarder::run(*m.driver, {m.driver->engine_url(), detail::client_tls(env, name)},
                 env.store.machine_file(name, mf::kForwards), keep_running, log);
  log("port forwarder stopped");
}

}  // namespace machine::ops
