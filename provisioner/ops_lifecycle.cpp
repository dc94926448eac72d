// rm, start, stop, kill, restart, state, url, ip: each asks the state table in
// machine/state.h whether it may run; those that change the machine hold its lock throughout.
#include <fmt/format.h>

#include <optional>

#include "drivers/registry.h"
#include "machine/error.h"
#include "provisioner/ops_common.h"
#include "provisioner/ops_mounts.h"

namespace machine::ops {
namespace {
using namespace std::chrono_literals;
using detail::Loaded;

// The engine URL as the driver has it now ("" when it cannot say).
std::string engine_url_or_empty(drivers::Driver& d) {
  try {
    return d.engine_url();
  } catch (const Error&) {
    return "";
  }
}

// After the driver has started or restarted the VM: wait for it, then the host-side helpers;
// the docker context follows an engine URL that moved (a port taken while it was stopped).
void after_boot(Env& env, Loaded& m, const std::string& url_before) {
  auto features = m.driver->features();
  if (features.lifecycle || features.restart) {
    m.driver->wait_ready(300s);
    detail::save(env, m);
  }
  if (m.driver->engine_url() != url_before) detail::sync_docker_context(env, m);  // a port moved
  detail::start_forwarder(env, m);  // also brings back a forwarder that died
  detail::establish_mounts(env, m);
}

// stop and kill: the forwarder and the mount helpers end with the machine (their SSH
// connection is gone anyway); the forwarder is stopped whatever the state says, because
// it may outlive its VM.
void halt(Env& env, const std::string& name, Action action, void (drivers::Driver::*fn)()) {
  auto lock = env.store.lock(name);
  detail::stop_forwarder(env, name);
  Loaded m = detail::load(env, name);
  require_transition(m.driver->state().state, action, name);
  ((*m.driver).*fn)();
  detail::save(env, m);
  detail::stop_mount_helpers(env, name);
}
}  // namespace

namespace detail {
void start_locked(Env& env, Loaded& m) {
  auto t = require_transition(m.driver->state().state, Action::Start, m.host.name);
  auto url_before = engine_url_or_empty(*m.driver);
  if (t.verdict == Verdict::Resume)
    m.driver->resume();
  else
    m.driver->start();
  detail::save(env, m);
  after_boot(env, m, url_before);
}
}  // namespace detail

std::unique_ptr<drivers::Driver> load_driver(Env& env, const Host& host) {
  auto d = drivers::make_driver(host.driver_name, detail::driver_context(env, host.name));
  d->from_json(host.driver);
  return d;
}

void remove(Env& env, const std::string& name, bool force) {
  if (!env.store.exists(name)) fail(Code::NotFound, machine_not_found_message(name));
  auto lock = env.store.lock(name);
  std::optional<Loaded> m;
  try {
    detail::stop_forwarder(env, name);
    m = detail::load(env, name);
    detail::stop_mount_helpers(env, name);
  } catch (const Error& e) {
    if (!force) throw e.with_context(fmt::format("cannot remove machine \"{}\" (use -f to force)", name));
    env.progress.step(
        fmt::format("Error removing host \"{}\": {}; removing its files anyway", name, e.what()));
    m.reset();
    // The config is unreadable, but a VM process it started may still run: find it by its pidfile.
    detail::stop_mount_helpers(env, name);
    drivers::stop_leftover_processes(detail::driver_context(env, name));
  }
  if (m) {
    try {
      m->driver->remove();
    } catch (const Error& e) {
      if (!force) throw e.with_context(fmt::format("cannot remove machine \"{}\" (use -f to force)", name));
      // Forgetting a VM that still runs would leave it with no record: keep the entry then.
      State now = State::Error;
      try {
        now = m->driver->state().state;
      } catch (const std::exception&) {
      }
      if (now == State::Running || now == State::Starting || now == State::Paused || now == State::Stopping)
        fail(Code::Unavailable,
             fmt::format("cannot remove machine \"{}\": its VM is still {} ({}); the machine is "
                         "kept so that `rm -f {}` can retry",
                         name, state_name(now), e.what(), name));
      env.progress.step(
          fmt::format("Error removing host \"{}\": {}; removing its files anyway", name, e.what()));
    }
  }
  detail::remove_docker_context(env, name);
  env.store.remove(name);
}

void start(Env& env, const std::string& name) {
  auto lock = env.store.lock(name);
  Loaded m = detail::load(env, name);
  if (auto t = check_transition(m.driver->state().state, Action::Start, name); t.verdict == Verdict::Refuse) {
    // Already running: docker-machine's error, but a port forwarder that died comes back first
    // (`start` is how users repair it).
    detail::start_forwarder(env, m);
    fail(Code::FailedPrecondition, t.message);
  }
  detail::start_locked(env, m);
}

void stop(Env& env, const std::string& name) { halt(env, name, Action::Stop, &drivers::Driver::stop); }
void kill(Env& env, const std::string& name) { halt(env, name, Action::Kill, &drivers::Driver::kill); }

void restart(Env& env, const std::string& name) {
  auto lock = env.store.lock(name);
  Loaded m = detail::load(env, name);
  if (check_transition(m.driver->state().state, Action::Restart, name).verdict == Verdict::StartFirst) {
    env.progress.step(fmt::format("Starting \"{}\"...", name));  // host.Restart calls host.Start
    detail::start_locked(env, m);
    env.progress.step(fmt::format("Machine \"{}\" was started.", name));
    return;
  }
  auto url_before = engine_url_or_empty(*m.driver);
  m.driver->restart();
  detail::save(env, m);
  detail::stop_mount_helpers(env, name);
  after_boot(env, m, url_before);
}

// A machine whose create was interrupted (the process killed) is Error until `rm -f`.
static void require_complete(Env& env, const std::string& name) {
  if (auto why = detail::interrupted_create(env, name); !why.empty()) fail(Code::FailedPrecondition, why);
}

drivers::StateInfo state(Env& env, const std::string& name) {
  Loaded m = detail::load(env, name);
  if (auto why = detail::interrupted_create(env, name); !why.empty()) return {State::Error, why};
  return m.driver->state();
}

std::string url(Env& env, const std::string& name) {
  Loaded m = detail::load(env, name);
  require_complete(env, name);
  require_transition(m.driver->state().state, Action::Url, name);
  return m.driver->engine_url();
}

std::string ip(Env& env, const std::string& name) {
  Loaded m = detail::load(env, name);
  require_transition(m.driver->state().state, Action::Ip, name);
  return with_context("Error getting IP address", [&] { return m.driver->ip(); });
}

ssh::SshEndpoint ssh_endpoint(Env& env, const std::string& name) {
  Loaded m = detail::load(env, name);
  if (!m.driver->features().ssh)
    fail(Code::FailedPrecondition,
         fmt::format("machine '{}' (driver {}) has no SSH access", name, m.driver->name()));
  require_transition(m.driver->state().state, Action::Ssh, name);
  detail::pin_host_keys(env, m);
  return detail::ssh_endpoint(env, m);
}

}  // namespace machine::ops
