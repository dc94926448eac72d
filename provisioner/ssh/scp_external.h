#pragma once
// `machine scp` through the system scp, as docker-machine does it: the default when `scp` is
// installed, unless --native-ssh. OpenSSH's scp (SFTP protocol since 9.0) moves data about
// twice as fast as libssh2 1.10 to a guest under TCG (bench/results/scp.txt): it offers
// chacha20-poly1305 and pipelines more. The native client (scp.h) stays for --native-ssh, for
// -d (delta: no rsync needed) and for copies that involve two different machines (each has
// its own key, port and pinned host key, which one scp command line cannot express).
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "provisioner/ssh/scp_args.h"
#include "provisioner/ssh/ssh.h"

namespace machine::ssh {

// The machine the request involves when the system scp can carry it: not delta, and every
// remote location names the same machine with the same user. nullopt otherwise (the native
// client runs it). A local-to-local copy names no machine: nullopt too.
std::optional<std::string> external_scp_machine(const ScpRequest& request);

// The system scp's argv for a request that external_scp_machine() accepted, with the
// machine's endpoint: the same pinning and key options as the system ssh (-F /dev/null,
// StrictHostKeyChecking=yes, its known_hosts, IdentitiesOnly), -3 (a copy within the machine
// goes through this host, never with keys inside the guest), -r/-q as asked, and "--" before
// the paths. Local paths scp would read as remote ("a:b") get "./"; an IPv6 host gets brackets.
// Pure.
std::vector<std::string> external_scp_argv(const std::filesystem::path& scp_program,
                                           const ScpRequest& request, const SshEndpoint& endpoint);

}  // namespace machine::ssh
