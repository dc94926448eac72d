#pragma once
// Helpers shared by the ops_*.cpp flows (not part of the public ops API).
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "certs/certs.h"
#include "drivers/driver.h"
#include "provisioner/engine_client.h"
#include "provisioner/ops.h"
#include "provisioner/ssh.h"

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

// Persists host with the driver's current state.
void save(Env& env, Loaded& m);

// The SSH endpoint for a machine (key and known_hosts in its dir, unless the driver stored
// another key path, as generic does with --generic-ssh-key).
ssh::SshEndpoint ssh_endpoint(Env& env, const Loaded& m);
// Connects over SSH (host key pinned; trust on first use only when nothing is pinned yet
// and the driver has no out-of-band keys), retrying up to timeout.
std::unique_ptr<ssh::SshSession> connect_ssh(Env& env, const Loaded& m, std::chrono::milliseconds timeout);

// TLS files for talking to the engine as the client (the machine dir copies).
engine::TlsFiles client_tls(Env& env, const std::string& name);

// Hosts the server certificate must cover: driver addresses, the machine's IP, its name
// and every --tls-san.
std::vector<std::string> server_cert_hosts(const Loaded& m, const std::vector<std::string>& addresses);

// Issues the machine's server cert for `hosts` (server.pem / server-key.pem in its dir).
void issue_server_cert(Env& env, const Loaded& m, const std::vector<std::string>& hosts);

// `docker context` registration named after the machine (best effort, reported).
void create_docker_context(Env& env, const Loaded& m);
void remove_docker_context(Env& env, const std::string& name);

}  // namespace machine::ops::detail
