#pragma once
// Provisioning the engine on a machine over SSH: detect the OS, set the hostname, install
// docker when missing, put the CA and server cert/key under /etc/docker and configure dockerd
// for mutual TLS (daemon.json + the init system's file), restart it. Idempotent: files that
// already hold exactly the wanted bytes and mode are not rewritten, and dockerd is restarted
// only when something changed or it is not running, so provisioning a machine OS guest that
// booted with engine_seed_files() costs one SSH command (the probe: uid, os-release, facts and
// every managed file at once) and no restart.
//
// Every remote command runs as root: directly when the SSH user is root, else with `sudo -n`
// (passwordless sudo is required). Files travel over the command's stdin, never SFTP, so a
// non-root user needs no write access and dropbear needs no sftp-server.
#include <string>
#include <vector>

#include "drivers/driver.h"
#include "machine/host.h"
#include "machine/progress.h"
#include "provisioner/engine_config.h"
#include "provisioner/os_release.h"
#include "provisioner/ssh/ssh.h"

namespace machine::provision {

// What the engine on one machine must look like.
struct EngineRequest {
  EngineOptions engine;        // --engine-* of the machine
  std::string ca_pem;          // CA certificate (clients' certs are checked against it)
  std::string server_pem;      // the machine's server certificate
  std::string server_key_pem;  // its private key (0600 on the machine)
  int port = kDefaultEnginePort;
  TlsRemotePaths remote;  // where the three files go
};

// The files that configure the engine under `init`: CA (0644), server cert (0644), server key
// (0600), daemon.json (0644), then the init system's file: machine OS /etc/default/docker,
// OpenRC /etc/conf.d/docker or the systemd drop-in (0644), built from unit_text, the distro's
// docker.service (see systemd_dropin). PEM texts get a final newline when they lack one.
// Throws Error(InvalidArgument) for bad engine options (see engine_config).
std::vector<drivers::SeedFile> engine_files(InitSystem init, const EngineRequest& req,
                                            std::string_view unit_text = {});

// engine_files for machine OS: written by the first-boot seed, they make dockerd start with
// TLS on its first start, so create needs no engine restart.
std::vector<drivers::SeedFile> engine_seed_files(const EngineRequest& req);

// Reads /etc/os-release (else /usr/lib/os-release) over the session (`cat`, one command).
// Throws Error(Unavailable) when neither can be read. The flows below do not need it: their
// probe reads os-release along with everything else.
OsInfo detect_os(ssh::SshSession& session);

// The full flow for any supported OS. Prints docker-machine's lines: "Detecting the
// provisioner...", "Provisioning with <os>...", "Installing Docker..." (only when it is
// missing), "Copying certs to the local machine directory..." (the caller copies them),
// "Copying certs to the remote machine...", "Setting Docker configuration on the remote
// daemon...". Does not wait for the engine's TLS port (the caller pings it). `hostname`
// empty leaves the hostname alone. Throws Error with context "cannot provision": from
// engine_config, FailedPrecondition (unsupported OS, no sudo), Internal (a remote command
// failed; its stderr is in the message), Unavailable (SSH broke).
void provision(ssh::SshSession& session, const EngineRequest& req, const std::string& hostname,
               Progress& progress);

// regenerate-certs: puts the (new) CA, server cert and key in place, brings the engine
// configuration up to date, and restarts dockerd unconditionally.
void push_server_cert_and_restart(ssh::SshSession& session, const EngineRequest& req);

// Upgrades the engine with the OS's package manager and restarts it. For machine OS throws
// Error(FailedPrecondition) saying that upgrading means booting a newer image.
void upgrade_engine(ssh::SshSession& session, const OsInfo& os, Progress& progress);
// Same after detect_os().
void upgrade_engine(ssh::SshSession& session, Progress& progress);

}  // namespace machine::provision
