#include "drivers/common/port_forward.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>
#include <sstream>

#include "machine/error.h"

namespace machine::drivers {
namespace {

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

int parse_port(std::string_view s, std::string_view text, bool allow_empty = false) {
  if (s.empty() && allow_empty) return 0;
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < 1 || v > 65535)
    fail(Code::InvalidArgument,
         fmt::format("invalid port \"{}\" in port forward \"{}\": want 1-65535", s, text));
  return v;
}

bool is_ipv4(const std::string& a) {
  in_addr probe{};
  return ::inet_pton(AF_INET, a.c_str(), &probe) == 1;
}

}  // namespace

std::string_view proto_name(Proto p) { return p == Proto::Udp ? "udp" : "tcp"; }

std::string PortForward::to_string() const {
  return fmt::format("{}:{}:{}-:{}", proto_name(proto), host_addr, host_port, guest_port);
}

std::string PortForward::display() const {
  return fmt::format("{}:{}/{}", host_addr, host_port, proto_name(proto));
}

PortForward parse_port_forward(std::string_view text) {
  // proto:hostaddr:hostport-[guestaddr]:guestport
  auto bad = [&](std::string_view why) {
    fail(Code::InvalidArgument,
         fmt::format("invalid port forward \"{}\": {} (want e.g. tcp:127.0.0.1:4000-:4000)", text, why));
  };
  PortForward f;
  auto c1 = text.find(':');
  if (c1 == std::string_view::npos) bad("no protocol");
  auto proto = text.substr(0, c1);
  if (proto == "tcp")
    f.proto = Proto::Tcp;
  else if (proto == "udp")
    f.proto = Proto::Udp;
  else
    bad("the protocol must be tcp or udp");
  auto dash = text.find('-', c1);
  if (dash == std::string_view::npos) bad("no '-' between the host and guest sides");
  auto host = text.substr(c1 + 1, dash - c1 - 1);
  auto c2 = host.rfind(':');
  if (c2 == std::string_view::npos) bad("no host port");
  f.host_addr = std::string(host.substr(0, c2));
  if (f.host_addr.empty()) bad("no host address");
  f.host_port = parse_port(host.substr(c2 + 1), text);
  auto guest = text.substr(dash + 1);
  auto c3 = guest.rfind(':');
  if (c3 == std::string_view::npos) bad("no guest port");
  f.guest_port = parse_port(guest.substr(c3 + 1), text);
  return f;
}

void require_publish_address(const std::string& address, std::string_view flag) {
  if (!is_ipv4(address))
    fail(Code::InvalidArgument,
         fmt::format(
             "invalid value \"{}\" for flag --{}: want an IPv4 address such as 127.0.0.1 (0.0.0.0 publishes "
             "on every interface)",
             address, flag));
}

std::string hostfwd_add_command(std::string_view netdev, const PortForward& f) {
  return fmt::format("hostfwd_add {} {}", netdev, f.to_string());
}

std::string hostfwd_remove_command(std::string_view netdev, const PortForward& f) {
  return fmt::format("hostfwd_remove {} {}:{}:{}", netdev, proto_name(f.proto), f.host_addr, f.host_port);
}

std::vector<PortForward> parse_usernet_forwards(std::string_view info) {
  // "  TCP[HOST_FORWARD]  14       127.0.0.1 47100       10.0.2.15  4000     0     0"
  std::vector<PortForward> out;
  std::istringstream in{std::string(info)};
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream row(line);
    std::string kind, fd, src, sport, dst, dport;
    if (!(row >> kind >> fd >> src >> sport >> dst >> dport)) continue;
    PortForward f;
    if (kind == "TCP[HOST_FORWARD]")
      f.proto = Proto::Tcp;
    else if (kind == "UDP[HOST_FORWARD]")
      f.proto = Proto::Udp;
    else
      continue;
    f.host_addr = src == "*" ? "0.0.0.0" : src;
    try {
      f.host_port = parse_port(sport, line);
      f.guest_port = parse_port(dport, line);
    } catch (const Error&) {
      continue;
    }
    out.push_back(std::move(f));
  }
  return out;
}

std::string hostfwd_add_error(std::string_view reply) { return trim(reply); }

std::string hostfwd_remove_error(std::string_view reply) {
  auto t = trim(reply);
  if (t.empty()) return "";
  if (t.rfind("host forwarding rule for ", 0) == 0 && (t.ends_with(" removed") || t.ends_with(" not found")))
    return "";
  return t;
}

void hmp_add_forward(const HmpRunner& hmp, std::string_view netdev, const PortForward& f) {
  for (const auto& have : parse_usernet_forwards(hmp("info usernet")))
    if (have == f) return;
  auto err = hostfwd_add_error(hmp(hostfwd_add_command(netdev, f)));
  if (!err.empty()) fail(Code::Unavailable, fmt::format("cannot forward {}: {}", f.display(), err));
}

void hmp_remove_forward(const HmpRunner& hmp, std::string_view netdev, const PortForward& f) {
  auto err = hostfwd_remove_error(hmp(hostfwd_remove_command(netdev, f)));
  if (!err.empty()) fail(Code::Unavailable, fmt::format("cannot remove forward {}: {}", f.display(), err));
}

bool host_port_free(const PortForward& f) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(f.host_port));
  if (f.host_port < 1 || f.host_port > 65535 ||
      ::inet_pton(AF_INET, f.host_addr.c_str(), &addr.sin_addr) != 1)
    return false;
  int fd = ::socket(AF_INET, (f.proto == Proto::Udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  // As slirp's listeners do: TIME_WAIT leftovers do not make a TCP port taken.
  int one = 1;
  if (f.proto == Proto::Tcp) ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

}  // namespace machine::drivers
