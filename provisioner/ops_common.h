#pragma once
// Helpers shared by the ops_*.cpp flows (not part of the public ops API).
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "certs/certs.h"
#include "drivers/driver.h"
#include "provisioner/engine/engine_client.h"
#include "provisioner/ops.h"
#include "provisioner/provision.h"
#include "provisioner/ssh/ssh.h"

namespace machine::ops::detail {

// The store's CA/client paths with the global --tls-* overrides applied.
certs::AuthPaths auth_paths(const Env& env);
// certs::Options for this environment (notify -> progress; user-supplied files are never replaced).
certs::Options cert_options(const Env& env);

drivers::Context driver_context(Env& env, const std::string& name);

// A loaded machine: config plus its driver with persisted state.
struct Loaded {
  Host host;
  std::unique_ptr<drivers::Driver> driver;
};
Loaded load(Env& env, const std::string& name);

// The create-in-progress mark (machine_files::kCreating): written with this process's pid
// before create makes anything else, removed when it succeeds. interrupted_create says why a
// machine is half-made ("" when it is not, or while its creator still runs).
void mark_creating(Env& env, const std::string& name);
void clear_creating(Env& env, const std::string& name);
std::string interrupted_create(Env& env, const std::string& name);

// `start` with the machine's lock held: refuses a running machine (docker-machine's
// "already running"), starts the VM, waits for it, then the forwarder and the mounts.
void start_locked(Env& env, Loaded& m);

// Persists host with the driver's current state.
void save(Env& env, Loaded& m);

// The SSH endpoint for a machine (key and known_hosts in its dir, unless the driver stored
// another key path, as generic does with --generic-ssh-key).
ssh::SshEndpoint ssh_endpoint(Env& env, const Loaded& m);
// Writes the driver's out-of-band host keys (e.g. from the guest's serial console) into the
// machine's known_hosts, unless keys are pinned already. Returns whether any key is pinned.
bool pin_host_keys(Env& env, const Loaded& m);

// Connects over SSH (host key pinned; trust on first use only when nothing is pinned yet
// and the driver has no out-of-band keys), retrying up to timeout.
std::unique_ptr<ssh::SshSession> connect_ssh(Env& env, const Loaded& m, std::chrono::milliseconds timeout);

// TLS files for talking to the engine as the client (the machine dir copies).
engine::TlsFiles client_tls(Env& env, const std::string& name);

// Hosts the server certificate must cover: driver addresses, the machine's IP, its name
// and every --tls-san.
std::vector<std::string> server_cert_hosts(const Loaded& m, const std::vector<std::string>& addresses);

// The machine's server cert spec for `hosts` (server.pem / server-key.pem in its dir).
certs::ServerCertSpec server_cert_spec(Env& env, const Loaded& m, const std::vector<std::string>& hosts);
// Issues the machine's server cert for `hosts`.
void issue_server_cert(Env& env, const Loaded& m, const std::vector<std::string>& hosts);
// Addresses the engine is reached at now: the driver's IP and the URL's host.
std::vector<std::string> current_addresses(Loaded& m);
// Re-issues the server cert when it no longer covers every current address (an IP change,
// or one learned only at boot, like a DHCP lease), is about to expire or does not match
// its key; returns whether it did (ops_tls.cpp).
bool refresh_server_cert(Env& env, Loaded& m);

// What the machine's engine must look like: its engine options, the CA and its server cert.
provision::EngineRequest engine_request(Env& env, const Loaded& m);

// The port forwarder (ops_forward.cpp). start: when the driver forwards ports, the
// environment names a forwarder program and none runs yet (so `start` on a running machine
// brings a dead one back); reports, never throws for the forwarder's sake. stop: ends it
// (SIGTERM, then SIGKILL) and clears its pid and status files; idempotent.
void start_forwarder(Env& env, const Loaded& m);
void stop_forwarder(Env& env, const std::string& name);

// `docker context` registration named after the machine (best effort, reported).
void create_docker_context(Env& env, const Loaded& m);
void remove_docker_context(Env& env, const std::string& name);
// Re-registers the machine's docker context when it has one of ours: the context holds copies
// of the TLS files and the engine URL, stale after regenerate-certs or a start that moved ports.
void sync_docker_context(Env& env, const Loaded& m);

}  // namespace machine::ops::detail
