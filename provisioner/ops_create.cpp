// The create flow: validate -> pre-create check -> certs -> driver create -> wait ->
// provision -> TLS check -> save. Any failure or Ctrl-C rolls back.
#include <fmt/format.h>

#include "drivers/common/mounts.h"
#include "drivers/registry.h"
#include "machine/cancel.h"
#include "machine/error.h"
#include "machine/fault.h"
#include "machine/fs.h"
#include "provisioner/ops_common.h"
#include "provisioner/ops_mounts.h"
#include "provisioner/provision.h"
#include "provisioner/ssh/keygen.h"

namespace machine::ops {
namespace {
using namespace std::chrono_literals;
using detail::Loaded;

constexpr auto kBootTimeout = 300s;  // TCG on a busy 2-core host can be slow
constexpr auto kSshTimeout = 120s;
constexpr auto kEngineTimeout = 180s;

// Flag values end up in generated files (daemon.json, a systemd drop-in on generic hosts,
// certificate SANs): a newline there would add lines nobody asked for.
void require_printable(std::string_view flag, const std::string& value) {
  for (unsigned char c : value)
    if (c < 0x20 || c == 0x7f)
      fail(Code::InvalidArgument,
           fmt::format("invalid value for --{}: it contains the control character 0x{:02x}; remove it", flag,
                       c));
}

void require_printable(std::string_view flag, const std::vector<std::string>& values) {
  for (const auto& v : values) require_printable(flag, v);
}

void validate_option_values(const CreateRequest& req) {
  const auto& e = req.engine;
  require_printable("engine-opt", e.arbitrary_flags);
  require_printable("engine-env", e.env);
  require_printable("engine-insecure-registry", e.insecure_registry);
  require_printable("engine-label", e.labels);
  require_printable("engine-registry-mirror", e.registry_mirror);
  require_printable("engine-storage-driver", e.storage_driver);
  require_printable("engine-install-url", e.install_url);
  require_printable("engine-dns", e.dns);
  require_printable("engine-log-level", e.log_level);
  require_printable("engine-graph-dir", e.graph_dir);
  const auto& s = req.swarm;
  require_printable("swarm-image", s.image);
  require_printable("swarm-discovery", s.discovery);
  require_printable("swarm-addr", s.address);
  require_printable("swarm-host", s.host);
  require_printable("swarm-strategy", s.strategy);
  require_printable("swarm-opt", s.arbitrary_flags);
  require_printable("swarm-join-opt", s.arbitrary_join_flags);
  require_printable("tls-san", req.tls_sans);
}

void validate(Env& env, const CreateRequest& req) {
  require_valid_machine_name(req.name);
  validate_option_values(req);
  env.store.require_socket_paths_fit(req.name);
  if (env.store.exists(req.name))
    fail(Code::AlreadyExists, fmt::format("Docker machine \"{}\" already exists", req.name));
}

// A named point between two steps: tests/fault stops the process here (machine/fault.h), and
// a Ctrl-C/SIGTERM/SIGHUP that arrived during the step before rolls back here at the latest.
void checkpoint(std::string_view point) {
  fault_point(point);
  throw_if_cancelled();
}

Host new_host(Env& env, const CreateRequest& req) {
  Host h;
  h.name = req.name;
  h.driver_name = req.driver;
  h.options.driver = req.driver;
  h.options.engine = req.engine;
  h.options.swarm = req.swarm;
  auto auth = detail::auth_paths(env);
  auto dir = env.store.machine_dir(req.name);
  auto& a = h.options.auth;
  a.cert_dir = env.store.certs_dir().string();
  a.ca_cert_path = auth.ca_cert.string();
  a.ca_private_key_path = auth.ca_key.string();
  a.client_cert_path = auth.client_cert.string();
  a.client_key_path = auth.client_key.string();
  a.server_cert_path = (dir / std::string(machine_files::kServerCert)).string();
  a.server_key_path = (dir / std::string(machine_files::kServerKey)).string();
  a.server_cert_sans = req.tls_sans;
  a.store_path = dir.string();
  return h;
}

// Everything after the machine directory exists; throws on failure (caller rolls back).
void build(Env& env, const CreateRequest& req, Loaded& m) {
  auto dir = env.store.machine_dir(req.name);
  auto features = m.driver->features();
  std::vector<std::string> addresses;
  {
    // Ports and addresses are picked from what other machines' configs hold: reserve them
    // (save) before another create can pick, so concurrent creates never share one.
    auto reserve = env.store.lock_resource("addresses");
    addresses = m.driver->prepare();
    detail::save(env, m);
  }
  checkpoint("create-after-prepare");
  detail::issue_server_cert(env, m, detail::server_cert_hosts(m, addresses));
  certs::copy_client_files(detail::auth_paths(env), dir);

  drivers::CreateSpec spec;
  spec.hostname = req.name;
  if (features.ssh && !std::filesystem::exists(dir / std::string(machine_files::kSshKey)))
    spec.ssh_public_key =
        ssh::create_machine_key(dir / std::string(machine_files::kSshKey), "machine@" + req.name);
  if (features.seed) spec.seed_files = provision::engine_seed_files(detail::engine_request(env, m));
  if (m.host.options.mount_type == drivers::common::kVirtiofs) spec.virtiofs_mounts = m.host.options.mounts;
  detail::save(env, m);
  checkpoint("create-after-seed");

  env.progress.step("Creating machine...");
  m.driver->create(spec);
  detail::save(env, m);
  checkpoint("create-after-vm");

  if (!features.lifecycle && !features.provision) {
    // `none`: the engine is the user's; like docker-machine, nothing to wait for.
    detail::save(env, m);
    if (req.docker_context) detail::create_docker_context(env, m);
    return;
  }
  env.progress.step("Waiting for machine to be running, this may take a few minutes...");
  fault_point("create-booting");
  m.driver->wait_ready(kBootTimeout);
  detail::save(env, m);
  // An address known only once the guest booted (a DHCP lease on --libvirt-network) is not
  // in the certificate issued before the VM existed: re-issue it now; provisioning below
  // then installs it and restarts dockerd.
  if (features.provision) detail::refresh_server_cert(env, m);
  if (features.ssh) detail::pin_host_keys(env, m);
  checkpoint("create-after-hostkeys");

  if (features.provision) {
    env.progress.step("Detecting operating system of created instance...");
    env.progress.step("Waiting for SSH to be available...");
    auto session = detail::connect_ssh(env, m, kSshTimeout);
    checkpoint("create-provisioning");  // an SSH session is open
    provision::provision(*session, detail::engine_request(env, m), req.name, env.progress);
  }
  throw_if_cancelled();
  env.progress.step("Checking connection to Docker...");
  engine::wait_for_engine(m.driver->engine_url(), detail::client_tls(env, req.name), kEngineTimeout);
  detail::establish_mounts(env, m);
  detail::save(env, m);
  detail::start_forwarder(env, m);  // published ports reach the host from here on
  checkpoint("create-before-context");
  if (req.docker_context) detail::create_docker_context(env, m);
  checkpoint("create-after-context");
  env.progress.step("Docker is up and running!");
  // The "To see how to connect..." hint names the binary: cli/ prints it.
}

// Removes everything create made. Runs to the end whatever signals arrive meanwhile. When
// the VM cannot be removed, the machine's entry stays (its config names the VM) so that
// `rm -f` can retry, instead of leaving a VM nobody knows about.
void rollback(Env& env, const CreateRequest& req, Loaded& m) {
  CancelShield shield;
  bool vm_removed = true;
  try {
    detail::stop_mount_helpers(env, req.name);
    detail::stop_forwarder(env, req.name);
  } catch (const std::exception& e) {
    env.progress.step(fmt::format("Error stopping the helpers of \"{}\": {}", req.name, e.what()));
  }
  try {
    if (m.driver) m.driver->remove();
  } catch (const std::exception& e) {
    vm_removed = false;
    env.progress.step(fmt::format("Error removing the half-created machine \"{}\": {}", req.name, e.what()));
  }
  if (req.docker_context) detail::remove_docker_context(env, req.name);
  if (vm_removed) {
    env.store.remove(req.name);
    return;
  }
  try {
    detail::save(env, m);
  } catch (const std::exception&) {
  }
  env.progress.step(fmt::format("Kept \"{}\" so that its VM is not forgotten: remove it with `rm -f {}`",
                                req.name, req.name));
}
}  // namespace

void create(Env& env, const CreateRequest& req) {
  validate(env, req);
  Loaded m{new_host(env, req), drivers::make_driver(req.driver, detail::driver_context(env, req.name))};
  m.driver->configure(req.flags);
  detail::plan_mounts(env, req, m);

  auto cert_result = [&] {
    auto certs_lock = env.store.lock_resource("certs");  // never half a CA beside regenerate_ca
    return certs::bootstrap(detail::auth_paths(env), detail::cert_options(env));
  }();
  (void)cert_result;
  checkpoint("create-after-certs");
  env.progress.step("Running pre-create checks...");
  m.driver->pre_create_check();

  auto lock = env.store.lock(req.name);
  env.store.create_machine_dir(req.name);
  try {
    detail::mark_creating(env, req.name);
    checkpoint("create-after-dir");
    build(env, req, m);
    detail::clear_creating(env, req.name);
  } catch (...) {
    if (!req.keep_on_failure) {
      rollback(env, req, m);
    } else {
      try {
        detail::clear_creating(env, req.name);  // kept on purpose: a machine to inspect, not an error
        detail::save(env, m);
      } catch (...) {
      }
    }
    throw;
  }
}

}  // namespace machine::ops
