#pragma once
// A published guest port reachable on this host: the model every driver's forward adapter
// and the per-machine forwarder share, with QEMU's hostfwd text form as its string form
// ("tcp:127.0.0.1:4000-:4000") because two of the three adapters speak it (QEMU's QMP and
// libvirt's monitor passthrough). Pure, except host_port_free().
#include <compare>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace machine::drivers {

enum class Proto { Tcp, Udp };

std::string_view proto_name(Proto p);  // "tcp" / "udp"

struct PortForward {
  Proto proto = Proto::Tcp;
  std::string host_addr = "127.0.0.1";  // the address the host listens on
  int host_port = 0;
  int guest_port = 0;

  auto operator<=>(const PortForward&) const = default;

  // "tcp:127.0.0.1:4000-:4000": QEMU's hostfwd rule (the guest address left to slirp).
  std::string to_string() const;
  // "127.0.0.1:4000/tcp", for messages a user reads.
  std::string display() const;
};

// Parses to_string()'s form; also accepts an explicit guest address ("...-10.0.2.15:80"),
// which is dropped. Throws Error(InvalidArgument) naming what is wrong.
PortForward parse_port_forward(std::string_view text);

// The default --*-publish-address: loopback only, never every interface unless asked.
inline constexpr const char* kDefaultPublishAddress = "127.0.0.1";

// Checks a publish address is an IPv4 literal (QEMU 7.2's slirp binds IPv4 only);
// throws Error(InvalidArgument) naming `flag`.
void require_publish_address(const std::string& address, std::string_view flag);

// HMP command lines for a user-mode netdev (QEMU's monitor and libvirt's passthrough).
std::string hostfwd_add_command(std::string_view netdev, const PortForward& f);
std::string hostfwd_remove_command(std::string_view netdev, const PortForward& f);

// The HOST_FORWARD rows of HMP `info usernet` as forwards (host address, host port,
// guest port), in output order.
std::vector<PortForward> parse_usernet_forwards(std::string_view info);

// What the monitor answered to hostfwd_add / hostfwd_remove: "" when it worked, else the
// monitor's text trimmed. hostfwd_remove of an absent rule counts as success (idempotent).
std::string hostfwd_add_error(std::string_view reply);
std::string hostfwd_remove_error(std::string_view reply);

// Runs one HMP command line on a VM's monitor and returns its text reply (QMP
// human-monitor-command, or libvirt's monitor passthrough).
using HmpRunner = std::function<std::string(const std::string&)>;

// add_forward/remove_forward for a QEMU user-mode netdev, over any monitor: the add is
// idempotent (an existing rule is left alone, found in `info usernet`), the remove too.
// Throws Error(Unavailable) with the monitor's reply when QEMU refuses (host port taken).
void hmp_add_forward(const HmpRunner& hmp, std::string_view netdev, const PortForward& f);
void hmp_remove_forward(const HmpRunner& hmp, std::string_view netdev, const PortForward& f);

// True when a socket of f.proto could bind f.host_addr:f.host_port right now (nobody else
// holds it). The forwarder asks before taking a port, so it never steals one.
bool host_port_free(const PortForward& f);

}  // namespace machine::drivers
