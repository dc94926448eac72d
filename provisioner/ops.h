#pragma once
// Machine operations: the flows behind every command (create, rm, start, provision, ...),
// with locking, rollback and TLS wiring. cli/ parses arguments and prints; everything
// that changes a machine goes through here.
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "drivers/driver.h"
#include "machine/host.h"
#include "machine/process_runner.h"
#include "machine/progress.h"
#include "machine/store.h"
#include "provisioner/ssh/ssh.h"

namespace machine::ops {

// Global TLS paths (--tls-ca-cert, --tls-ca-key, --tls-client-cert, --tls-client-key or
// MACHINE_TLS_*); empty means the store's certs/ files.
struct TlsPaths {
  std::string ca_cert;
  std::string ca_key;
  std::string client_cert;
  std::string client_key;
};

struct Env {
  Store& store;
  ProcessRunner& runner;
  Progress& progress;
  TlsPaths tls;
  bool native_ssh = false;  // --native-ssh
  // The `machine` executable that runs port forwarders (`<it> -s STORE __forward NAME`);
  // empty: none are started (library callers, unit tests).
  std::string forwarder_program;
};

struct CreateRequest {
  std::string name;
  std::string driver;
  drivers::FlagValues flags;          // driver flags
  EngineOptions engine;               // --engine-*
  SwarmOptions swarm;                 // --swarm-*
  std::vector<std::string> tls_sans;  // --tls-san
  bool keep_on_failure = false;       // --keep-on-failure
  bool docker_context = true;         // off with --no-docker-context
  // Host folders (provisioner/ops_mounts.h): --mount specs, --no-mounts, --mount-type;
  // without --mount the user's home (`home`, from $HOME) is mounted where the driver can.
  std::vector<std::string> mounts;
  bool no_mounts = false;
  std::string mount_type;
  std::string home;
};

// Validates everything, then creates, boots and provisions the machine. Prints
// docker-machine's progress lines through env.progress. On any failure (or SIGINT) the
// machine is removed again unless keep_on_failure. Errors from validation and the
// driver's pre-create check are Error(InvalidArgument/FailedPrecondition).
void create(Env& env, const CreateRequest& req);

// The docker CLI context registered for a machine: the machine's name when docker accepts
// it, else "machine-<name>". docker reserves "default" (the quickstart's machine name) and
// wants two or more characters matching [a-zA-Z0-9][a-zA-Z0-9_.+-]+.
std::string docker_context_name(const std::string& machine_name);

// Loads a machine's driver with its persisted state.
std::unique_ptr<drivers::Driver> load_driver(Env& env, const Host& host);

// Removes the machine (VM, files, docker context). With force, a machine whose config
// or driver is broken is removed anyway.
void remove(Env& env, const std::string& name, bool force);

void start(Env& env, const std::string& name);
void stop(Env& env, const std::string& name);
void kill(Env& env, const std::string& name);
void restart(Env& env, const std::string& name);

drivers::StateInfo state(Env& env, const std::string& name);
// The engine URL and the machine's address; Error(FailedPrecondition) with docker-machine's
// text (machine/state.h) when the machine is not running. ip's errors read "Error getting IP
// address: ...", as docker-machine's `ip` prints them.
std::string url(Env& env, const std::string& name);
std::string ip(Env& env, const std::string& name);
// Error(FailedPrecondition) with docker-machine's text unless `action` may run now.
void require_state(Env& env, const std::string& name, Action action);

// Re-runs provisioning (certs, engine configuration) on a running machine.
void provision(Env& env, const std::string& name);
// Replaces the store's CA and client certificate, once, under the store's certs lock (which
// create's CA bootstrap takes too). `regenerate-certs --client-certs` calls it once, before
// regenerate_certs of each machine.
void regenerate_ca(Env& env);
// Re-issues the machine's server cert (signed by the store's current CA), copies the current
// CA and client cert into the machine dir, pushes the server cert and restarts the engine.
void regenerate_certs(Env& env, const std::string& name);
// Starts a machine that is not running, then upgrades its engine (docker-machine's host.Upgrade).
void upgrade(Env& env, const std::string& name);

// Engine version over TLS (GET /version), with a timeout.
std::string engine_version(Env& env, const std::string& name, std::chrono::milliseconds timeout);

// The directory DOCKER_CERT_PATH points at (the machine dir), after checking that the
// engine at the machine's URL presents a certificate that is valid for it. Throws
// Error(FailedPrecondition) with docker-machine's "Error checking TLS connection: ..."
// text when not; when the machine is not running, the text `action` (Env or Config) gives.
std::string validated_cert_path(Env& env, const std::string& name, Action action = Action::Env);

// Where `machine ssh` / `machine scp` log in: the driver's SSH address, the machine key and
// its pinned known_hosts. Error(FailedPrecondition) when the driver has no SSH or the
// machine is not running.
ssh::SshEndpoint ssh_endpoint(Env& env, const std::string& name);

// The port forwarder of a machine whose driver forwards published ports.
struct ForwarderInfo {
  bool supported = false;  // the driver has Features::port_forwarding
  bool running = false;
  int pid = 0;
  std::string engine;                  // "connected", or why it cannot reach the engine
  std::vector<std::string> forwarded;  // "tcp:127.0.0.1:4000-:4000"
  std::vector<std::string> skipped;    // "127.0.0.1:4000/tcp: the port is in use on the host"
  std::filesystem::path log;
};
ForwarderInfo forwarder_info(Env& env, const std::string& name);
// What `ls` shows in ERRORS for a running machine: a dead forwarder, ports not forwarded.
std::string forwarder_problem(Env& env, const std::string& name);
// The forwarder itself (hidden `machine __forward NAME`): runs until the machine is removed
// or SIGTERM/SIGINT; `log` gets one line per change.
void run_forwarder(Env& env, const std::string& name, const std::function<void(const std::string&)>& log);
// `machine mount NAME:/path /local/dir` (and -u): the machine's directory on the host over
// the host's sshfs, logging in with the machine key and its pinned known_hosts.
void mount_on_host(Env& env, const std::string& name, const std::string& guest_dir,
                   const std::string& local_dir);
void unmount_on_host(Env& env, const std::string& local_dir);

// Names of the machines whose driver state refers to a file under `dir` (e.g. a cached
// image their disk overlays are backed by). Machines whose config cannot be read are skipped.
std::vector<std::string> machines_using(Env& env, const std::filesystem::path& dir);

}  // namespace machine::ops
