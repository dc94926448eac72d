#pragma once
// The engine's configuration as data: pure functions from EngineOptions (--engine-*) to the
// files that make dockerd listen with mutual TLS. Everything daemon.json can express goes
// there; only --engine-opt flags it cannot express and --engine-env end up in the
// init-system file (systemd drop-in, OpenRC conf.d, machine OS /etc/default/docker).
//
// TLS is not optional: "tls" and "tlsverify" are always true and --engine-opt flags that
// would change TLS or replace daemon.json are rejected, so the engine never listens on TCP
// without verifying clients.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "machine/host.h"

namespace machine::provision {

inline constexpr int kDefaultEnginePort = 2376;
inline constexpr std::string_view kDaemonJsonPath = "/etc/docker/daemon.json";
inline constexpr std::string_view kDockerSocketUrl = "unix:///var/run/docker.sock";
// Named after docker-machine's 10-machine.conf so a host it provisioned is taken over cleanly.
inline constexpr std::string_view kSystemdDropinPath = "/etc/systemd/system/docker.service.d/10-machine.conf";
inline constexpr std::string_view kOpenRcConfPath = "/etc/conf.d/docker";
// Read by machine OS's /usr/sbin/machine-docker (DOCKER_OPTS and exported variables).
inline constexpr std::string_view kMachineOsDefaultsPath = "/etc/default/docker";

// Where the engine's TLS files live on the machine (docker-machine's paths).
struct TlsRemotePaths {
  std::string ca_cert = "/etc/docker/ca.pem";
  std::string server_cert = "/etc/docker/server.pem";
  std::string server_key = "/etc/docker/server-key.pem";
};

// EngineOptions split by where each setting goes.
struct EngineConfig {
  nlohmann::json daemon;                                 // the content of daemon.json
  std::vector<std::string> flags;                        // "--log-driver=journald", in the user's order
  std::vector<std::pair<std::string, std::string>> env;  // --engine-env NAME=VALUE, in order
};

// Splits opts. Hosts are unix:///var/run/docker.sock and tcp://0.0.0.0:<port> (plus any
// --engine-opt host=...). --engine-opt flags naming a daemon.json key this function writes
// (label, insecure-registry, registry-mirror, dns, host/-H, storage-driver/-s, data-root/graph/-g,
// log-level/-l, ipv6, selinux-enabled) are merged into daemon.json, because dockerd refuses
// to start when a setting is given both ways. opts.tls_verify is ignored (always on).
// Throws Error(InvalidArgument) for a bad port, an --engine-env entry that is not NAME=VALUE,
// or an --engine-opt touching TLS (tls, tlsverify, tlscacert, tlscert, tlskey) or config-file.
EngineConfig engine_config(const EngineOptions& opts, const TlsRemotePaths& paths, int port);

// daemon.json text: pretty-printed, keys sorted, ending in a newline. Same errors as engine_config.
std::string daemon_json(const EngineOptions& opts, const TlsRemotePaths& paths, int port);
std::string daemon_json(const EngineConfig& config);

// The distro unit's ExecStart command (from the text of docker.service; the last assignment
// in [Service], continuation lines joined) split into words, with every -H/--host and TLS
// option removed: the distro's "-H fd://" conflicts with "hosts" in daemon.json (and TLS
// flags left by hand-made units with its "tls*" keys). Words keep their
// quotes and $VARIABLES, so distro settings ($OPTIONS, $DOCKER_OPTS, --containerd=...) survive.
// Empty when the unit has no ExecStart.
std::vector<std::string> distro_exec_start(std::string_view unit_text);

// The systemd drop-in (kSystemdDropinPath): Environment= lines for config.env, and ExecStart
// reset then set to the distro's command (see distro_exec_start) followed by config.flags,
// quoted for systemd. When unit_text has no ExecStart, `fallback_dockerd` (e.g.
// "/usr/bin/dockerd") is started with only config.flags.
std::string systemd_dropin(const EngineConfig& config, std::string_view unit_text,
                           std::string_view fallback_dockerd = "/usr/bin/dockerd");

// /etc/conf.d/docker for Alpine's OpenRC script: DOCKER_OPTS (shell-quoted words) and
// `export NAME=value` lines. Replaces the packaged file, whose settings are all optional.
std::string openrc_confd(const EngineConfig& config);

// /etc/default/docker for machine OS: the same shape as openrc_confd (DOCKER_OPTS, exports),
// sourced by machine-docker before it starts dockerd.
std::string machineos_defaults(const EngineConfig& config);

// Quotes one word for a systemd ExecStart= line ('%' and '$' escaped, quotes when needed).
std::string systemd_quote(std::string_view word);

}  // namespace machine::provision
