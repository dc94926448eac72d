// Commands that change machines: start, stop, restart, kill, provision, regenerate-certs,
// upgrade, rm. Several names act on all of them in parallel, as docker-machine does.
#include <fmt/format.h>

#include <future>
#include <mutex>

#include "cli/command.h"
#include "machine/error.h"

namespace machine::cli {
namespace {

// Lets machine threads share the command's progress sink.
class LockedProgress final : public Progress {
 public:
  LockedProgress(Progress& inner, std::mutex& mu) : inner_(inner), mu_(mu) {}
  void step(std::string_view line) override {
    std::lock_guard lock(mu_);
    inner_.step(line);
  }
  void status(std::string_view line) override {
    std::lock_guard lock(mu_);
    inner_.status(line);
  }

 private:
  Progress& inner_;
  std::mutex& mu_;
};

struct Messages {
  std::string before;  // "Starting %q..."
  std::string after;   // "Machine %q was started."
};

std::string q(const std::string& name) { return "\"" + name + "\""; }

using Action = void (*)(ops::Env&, const std::string&);

// docker-machine's runAction: load every named machine first (all errors reported
// together), then act on each one concurrently; errors are joined by newlines.
void run_action(Invocation& inv, Action action, const Messages& msg) {
  auto names = target_hosts(inv);
  std::string load_errors;
  for (const auto& n : names) {
    try {
      inv.store->load(n);
    } catch (const Error& e) {
      load_errors += (load_errors.empty() ? "" : "\n") + std::string(e.what());
    }
  }
  if (!load_errors.empty()) fail(Code::NotFound, load_errors);

  std::mutex mu;
  LockedProgress progress(*inv.progress, mu);
  auto say = [&](const std::string& line) {
    if (!line.empty()) progress.step(line);
  };
  std::vector<std::future<std::string>> jobs;
  for (const auto& n : names) {
    jobs.push_back(std::async(std::launch::async, [&, n]() -> std::string {
      auto runner = make_system_process_runner();
      ops::Env env{
          *inv.store, *runner, progress, inv.env->tls, inv.env->native_ssh, inv.env->forwarder_program};
      try {
        say(msg.before.empty() ? "" : fmt::format(fmt::runtime(msg.before), q(n)));
        action(env, n);
        say(msg.after.empty() ? "" : fmt::format(fmt::runtime(msg.after), q(n)));
        return "";
      } catch (const std::exception& e) {
        return e.what();
      }
    }));
  }
  std::string errors;
  for (auto& j : jobs) {
    std::string e = j.get();
    if (!e.empty()) errors += (errors.empty() ? "" : "\n") + e;
  }
  if (!errors.empty()) fail(Code::Internal, errors);
}

std::string env_hint(const Invocation&) { return "You may need to re-run the `machine env` command."; }

}  // namespace

int cmd_start(Invocation& inv) {
  run_action(inv, &ops::start, {"Starting {}...", "Machine {} was started."});
  inv.out() << "Started machines may have new IP addresses. " << env_hint(inv) << "\n";
  return kExitOk;
}

int cmd_stop(Invocation& inv) {
  run_action(inv, &ops::stop, {"Stopping {}...", "Machine {} was stopped."});
  return kExitOk;
}

int cmd_kill(Invocation& inv) {
  run_action(inv, &ops::kill, {"Killing {}...", "Machine {} was killed."});
  return kExitOk;
}

int cmd_restart(Invocation& inv) {
  run_action(inv, &ops::restart, {"Restarting {}...", ""});
  inv.out() << "Restarted machines may have new IP addresses. " << env_hint(inv) << "\n";
  return kExitOk;
}

int cmd_provision(Invocation& inv) {
  run_action(inv, &ops::provision, {});
  return kExitOk;
}

int cmd_upgrade(Invocation& inv) {
  run_action(inv, &ops::upgrade, {});
  return kExitOk;
}

int cmd_regenerate_certs(Invocation& inv) {
  if (!inv.cmd.flags.boolean("force") &&
      !confirm(inv, "Regenerate TLS machine certs?  Warning: this is irreversible."))
    return kExitOk;
  inv.out() << "Regenerating TLS certificates\n" << std::flush;
  bool client_certs = inv.cmd.flags.boolean("client-certs");
  if (client_certs) {
    for (const auto& n : target_hosts(inv)) inv.store->load(n);  // all names known before the CA changes
    ops::regenerate_ca(*inv.env);  // once, before the machines are worked on in parallel
  }
  run_action(inv, &ops::regenerate_certs, {});
  return kExitOk;
}

int cmd_rm(Invocation& inv) {
  const auto& names = inv.cmd.args;
  if (names.empty()) {
    inv.out() << command_help(*find_command("rm"), find_command("rm")->flags);
    fail(Code::InvalidArgument, "Error: Expected to get one or more machine names as arguments");
  }
  // Even with -f (which otherwise reports each failure and exits 0), a name that cannot be a
  // machine is a usage error: nothing is removed and the exit status is 1.
  for (const auto& n : names) require_valid_machine_name(n);
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  inv.out() << "About to remove " << list << "\n"
            << "WARNING: This action will delete both local reference and remote instance.\n";
  bool force = inv.cmd.flags.boolean("force");
  if (!force && !inv.cmd.flags.boolean("y") && !confirm(inv, "Are you sure?")) return kExitOk;
  std::string errors;
  for (const auto& n : names) {
    // With -f docker-machine reports each failure and carries on, exiting 0.
    auto report = [&](const std::string& m) {
      if (force) inv.err() << m << "\n";
      errors += (errors.empty() ? "" : "\n") + m;
    };
    try {
      if (!inv.store->exists(n)) fail(Code::NotFound, machine_not_found_message(n));
      ops::remove(*inv.env, n, force);
      inv.out() << "Successfully removed " << n << "\n" << std::flush;
    } catch (const Error& e) {
      report(fmt::format("Error removing host {}: {}", q(n), e.what()));
      // docker-machine's -f then removes the local files, which for a missing machine fails too.
      if (force && e.code() == Code::NotFound) report(fmt::format("Can't remove {}", q(n)));
    }
  }
  if (!errors.empty() && !force) fail(Code::Internal, errors);
  return kExitOk;
}

}  // namespace machine::cli
