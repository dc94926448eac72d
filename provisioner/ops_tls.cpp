// Flows that touch the engine's TLS: provision, regenerate-certs, upgrade, version, and the
// validation behind env/config.
#include <fmt/format.h>

#include <algorithm>

#include "drivers/base.h"
#include "machine/error.h"
#include "machine/fs.h"
#include "provisioner/ops_common.h"
#include "provisioner/provision.h"

namespace machine::ops {
namespace {
using namespace std::chrono_literals;
using detail::Loaded;

void require_running(Loaded& m) {
  auto s = m.driver->state();
  if (s.state != State::Running)
    fail(Code::FailedPrecondition, fmt::format("machine \"{}\" is not running (state: {})", m.host.name,
                                               s.state == State::None ? "unknown" : state_name(s.state)));
}

void require_provisionable(Loaded& m) {
  if (!m.driver->features().provision)
    fail(Code::FailedPrecondition,
         fmt::format("machine \"{}\" uses the {} driver, which has no engine to provision", m.host.name,
                     m.driver->name()));
}

}  // namespace

namespace detail {
std::vector<std::string> current_addresses(Loaded& m) {
  std::vector<std::string> a{m.driver->ip(), drivers::url_host(m.driver->engine_url())};
  a.erase(std::remove(a.begin(), a.end(), std::string()), a.end());
  return a;
}

bool refresh_server_cert(Env& env, Loaded& m) {
  auto spec = detail::server_cert_spec(env, m, detail::server_cert_hosts(m, current_addresses(m)));
  auto opts = detail::cert_options(env);
  opts.notify = nullptr;
  std::string why = certs::ensure_server_cert(detail::auth_paths(env), spec, opts);
  if (why.empty()) return false;
  env.progress.step(fmt::format("Regenerated TLS certificates for \"{}\": {}", m.host.name, why));
  return true;
}

}  // namespace detail
using detail::current_addresses;
using detail::refresh_server_cert;

void regenerate_ca(Env& env) {
  auto certs_lock = env.store.lock_resource("certs");
  certs::regenerate_ca_and_client(detail::auth_paths(env), detail::cert_options(env));
}

void provision(Env& env, const std::string& name) {
  auto lock = env.store.lock(name);
  Loaded m = detail::load(env, name);
  require_provisionable(m);
  require_running(m);
  refresh_server_cert(env, m);
  certs::copy_client_files(detail::auth_paths(env), env.store.machine_dir(name));
  auto session = detail::connect_ssh(env, m, 60s);
  provision::provision(*session, detail::engine_request(env, m), name, env.progress);
  engine::wait_for_engine(m.driver->engine_url(), detail::client_tls(env, name), 120s);
  detail::save(env, m);
}

void regenerate_certs(Env& env, const std::string& name) {
  auto lock = env.store.lock(name);
  Loaded m = detail::load(env, name);
  env.progress.step(fmt::format("Regenerating TLS certificates for \"{}\"", name));
  auto addresses = current_addresses(m);
  detail::issue_server_cert(env, m, detail::server_cert_hosts(m, addresses));
  certs::copy_client_files(detail::auth_paths(env), env.store.machine_dir(name));
  detail::sync_docker_context(env, m);  // it holds copies of the CA and client cert
  if (!m.driver->features().provision) return;
  if (m.driver->state().state != State::Running) {
    env.progress.step(
        fmt::format("Machine \"{}\" is not running: its engine keeps the old server certificate; "
                    "start it and run regenerate-certs again",
                    name));
    return;
  }
  auto session = detail::connect_ssh(env, m, 60s);
  provision::push_server_cert_and_restart(*session, detail::engine_request(env, m));
  engine::wait_for_engine(m.driver->engine_url(), detail::client_tls(env, name), 120s);
}

void upgrade(Env& env, const std::string& name) {
  auto lock = env.store.lock(name);
  Loaded m = detail::load(env, name);
  require_provisionable(m);
  // host.Upgrade: a machine that is not running is started first.
  if (auto t = require_transition(m.driver->state().state, Action::Upgrade, name);
      t.verdict == Verdict::StartFirst) {
    env.progress.step(t.message);
    env.progress.step(fmt::format("Starting \"{}\"...", name));
    detail::start_locked(env, m);
    env.progress.step(fmt::format("Machine \"{}\" was started.", name));
  }
  auto session = detail::connect_ssh(env, m, 60s);
  env.progress.step(fmt::format("Upgrading docker on \"{}\"...", name));
  provision::upgrade_engine(*session, env.progress);
  engine::wait_for_engine(m.driver->engine_url(), detail::client_tls(env, name), 120s);
}

std::string engine_version(Env& env, const std::string& name, std::chrono::milliseconds timeout) {
  Loaded m = detail::load(env, name);
  return engine::version(m.driver->engine_url(), detail::client_tls(env, name), timeout);
}

void require_state(Env& env, const std::string& name, Action action) {
  Loaded m = detail::load(env, name);
  require_transition(m.driver->state().state, action, name);
}

std::string validated_cert_path(Env& env, const std::string& name, Action action) {
  Loaded m = detail::load(env, name);
  require_transition(m.driver->state().state, action, name);
  auto url = m.driver->engine_url();
  auto dir = env.store.machine_dir(name);
  auto fail_tls = [&](const std::string& why) {
    fail(Code::FailedPrecondition,
         fmt::format(
             "Error checking TLS connection: Error checking and/or regenerating the certs: There was an "
             "error validating certificates for host \"{}\": {}\nYou can attempt to regenerate them using "
             "'machine regenerate-certs [name]'.\nBe advised that this will trigger a Docker daemon "
             "restart which might stop running containers.\n",
             url.substr(url.find("://") == std::string::npos ? 0 : url.find("://") + 3), why));
  };
  try {
    if (!engine::ping(url, detail::client_tls(env, name), 10s)) fail_tls("the engine did not answer /_ping");
  } catch (const Error& e) {
    if (e.code() == Code::FailedPrecondition && std::string(e.what()).rfind("Error checking TLS", 0) == 0)
      throw;
    fail_tls(e.what());
  }
  return dir.string();
}

}  // namespace machine::ops
