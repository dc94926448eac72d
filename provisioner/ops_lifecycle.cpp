// rm, start, stop, kill, restart, state, url, ip: each takes the machine's lock and goes
// through the state table in machine/state.h.
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

// Runs `action` unless the state table says there is nothing to do. The state table applies
// to machines whose state is a VM's or host's (not none's); a driver without the feature
// (generic's start/stop/kill) is still called when needed: it refuses in its own words.
void transition(Env& env, const std::string& name, Action action, void (drivers::Driver::*fn)()) {
  auto lock = env.store.lock(name);
  Loaded m = detail::load(env, name);
  auto features = m.driver->features();
  if (features.lifecycle || features.restart) {
    auto t = check_transition(m.driver->state().state, action);
    if (!t.needed) {
      env.progress.step(fmt::format("Machine \"{}\": {}", name, t.message));
      return;
    }
  }
  ((*m.driver).*fn)();
  detail::save(env, m);
}

// The engine URL in the machine's config ("" when unreadable).
std::string engine_url_of(Env& env, const std::string& name) {
  try {
    return detail::load(env, name).driver->engine_url();
  } catch (const Error&) {
    return "";
  }
}

// Before stop/kill, whatever the state says: a forwarder may outlive its VM.
void stop_forwarder_locked(Env& env, const std::string& name) {
  if (!env.store.exists(name)) return;
  auto lock = env.store.lock(name);
  detail::stop_forwarder(env, name);
}
}  // namespace

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
    env.progress.step(fmt::format("Error removing host \"{}\": {}; removing its files anyway", name, e.what()));
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
        fail(Code::Unavailable, fmt::format("cannot remove machine \"{}\": its VM is still {} ({}); the machine is "
                                            "kept so that `rm -f {}` can retry",
                                            name, state_name(now), e.what(), name));
      env.progress.step(fmt::format("Error removing host \"{}\": {}; removing its files anyway", name, e.what()));
    }
  }
  detail::remove_docker_context(env, name);
  env.store.remove(name);
}

void start(Env& env, const std::string& name) {
  auto url_before = engine_url_of(env, name);
  transition(env, name, Action::Start, &drivers::Driver::start);
  auto lock = env.store.lock(name);
  Loaded m = detail::load(env, name);
  if (m.driver->features().lifecycle) {
    m.driver->wait_ready(300s);
    detail::save(env, m);
  }
  if (m.driver->engine_url() != url_before) detail::sync_docker_context(env, m);  // a port moved
  detail::start_forwarder(env, m);  // also brings back a forwarder that died
  detail::establish_mounts(env, m);
}

// The forwarder and the mount helpers end with the machine (their SSH connection is gone anyway).
void stop(Env& env, const std::string& name) {
  stop_forwarder_locked(env, name);
  transition(env, name, Action::Stop, &drivers::Driver::stop);
  detail::stop_mount_helpers(env, name);
}
void kill(Env& env, const std::string& name) {
  stop_forwarder_locked(env, name);
  transition(env, name, Action::Kill, &drivers::Driver::kill);
  detail::stop_mount_helpers(env, name);
}

void restart(Env& env, const std::string& name) {
  auto url_before = engine_url_of(env, name);
  transition(env, name, Action::Restart, &drivers::Driver::restart);
  detail::stop_mount_helpers(env, name);
  auto lock = env.store.lock(name);
  Loaded m = detail::load(env, name);
  if (m.driver->features().restart) {
    m.driver->wait_ready(300s);
    detail::save(env, m);
  }
  if (m.driver->engine_url() != url_before) detail::sync_docker_context(env, m);  // a port moved
  detail::start_forwarder(env, m);  // it followed the engine through the restart; unless it died
  detail::establish_mounts(env, m);
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
  if (m.driver->state().state != State::Running) return "";
  return m.driver->engine_url();
}

std::string ip(Env& env, const std::string& name) { return detail::load(env, name).driver->ip(); }

ssh::SshEndpoint ssh_endpoint(Env& env, const std::string& name) {
  Loaded m = detail::load(env, name);
  if (!m.driver->features().ssh)
    fail(Code::FailedPrecondition, fmt::format("machine '{}' (driver {}) has no SSH access", name, m.driver->name()));
  if (m.driver->state().state != State::Running)
    fail(Code::FailedPrecondition, fmt::format("Error: Cannot run SSH command: Host \"{}\" is not running", name));
  detail::pin_host_keys(env, m);
  return detail::ssh_endpoint(env, m);
}

}  // namespace machine::ops
