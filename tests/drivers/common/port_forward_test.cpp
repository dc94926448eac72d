// The port-forward model: its QEMU hostfwd string form, the HMP commands and replies of
// QEMU 7.2 (captured in data/), the idempotent add/remove over a monitor, the host probe.
#include "drivers/common/port_forward.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "drivers/common/ports.h"
#include "machine/error.h"
#include "tests/support/error_of.h"
#include "tests/support/temp_dir.h"

namespace machine::drivers {
namespace {

std::string data(const std::string& name) {
  return machine::testing::read_file(std::filesystem::path(PORT_FORWARD_TEST_DATA) / name);
}

using machine::testing::error_of;

TEST(PortForward, StringFormIsQemusHostfwdRule) {
  EXPECT_EQ((PortForward{Proto::Tcp, "127.0.0.1", 4000, 8080}.to_string()), "tcp:127.0.0.1:4000-:8080");
  EXPECT_EQ((PortForward{Proto::Udp, "0.0.0.0", 5353, 5353}.to_string()), "udp:0.0.0.0:5353-:5353");
  EXPECT_EQ((PortForward{Proto::Udp, "127.0.0.1", 5353, 5353}.display()), "127.0.0.1:5353/udp");
}

TEST(PortForward, ParseRoundTripsAndDropsAGuestAddress) {
  for (const auto* s : {"tcp:127.0.0.1:4000-:4000", "udp:10.1.2.3:1-:65535"})
    EXPECT_EQ(parse_port_forward(s).to_string(), s);
  auto f = parse_port_forward("tcp:127.0.0.1:4000-10.0.2.15:80");
  EXPECT_EQ(f, (PortForward{Proto::Tcp, "127.0.0.1", 4000, 80}));
}

TEST(PortForward, ParseNamesWhatIsWrong) {
  EXPECT_NE(error_of([] { parse_port_forward("sctp:127.0.0.1:1-:1"); }).find("tcp or udp"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_port_forward("tcp:127.0.0.1:0-:1"); }).find("invalid port \"0\""),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_port_forward("tcp:127.0.0.1:70000-:1"); }).find("1-65535"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_port_forward("tcp:127.0.0.1:80"); }).find("no '-'"), std::string::npos);
  EXPECT_NE(error_of([] { parse_port_forward("tcp::80-:80"); }).find("no host address"), std::string::npos);
  EXPECT_NE(error_of([] { parse_port_forward("4000"); }).find("no protocol"), std::string::npos);
}

TEST(PortForward, PublishAddressMustBeAnIpv4Literal) {
  EXPECT_NO_THROW(require_publish_address("127.0.0.1", "qemu-publish-address"));
  EXPECT_NO_THROW(require_publish_address("0.0.0.0", "qemu-publish-address"));
  for (const auto* bad : {"localhost", "::1", "127.0.0", ""}) {
    auto e = error_of([&] { require_publish_address(bad, "qemu-publish-address"); });
    EXPECT_NE(e.find("--qemu-publish-address"), std::string::npos) << bad;
  }
}

TEST(PortForward, HmpCommandLines) {
  PortForward f{Proto::Udp, "127.0.0.1", 5353, 53};
  EXPECT_EQ(hostfwd_add_command("net0", f), "hostfwd_add net0 udp:127.0.0.1:5353-:53");
  EXPECT_EQ(hostfwd_remove_command("mnet0", f), "hostfwd_remove mnet0 udp:127.0.0.1:5353");
}

TEST(PortForward, ParsesInfoUsernetOfQemu72) {
  auto fwd = parse_usernet_forwards(data("info_usernet_tcp_udp.txt"));
  ASSERT_EQ(fwd.size(), 3u);
  EXPECT_EQ(fwd[0], (PortForward{Proto::Tcp, "127.0.0.1", 47100, 4000}));
  EXPECT_EQ(fwd[1], (PortForward{Proto::Tcp, "127.0.0.1", 47022, 22}));
  EXPECT_EQ(fwd[2], (PortForward{Proto::Udp, "127.0.0.1", 47101, 5353}));
  auto any = parse_usernet_forwards(data("info_usernet_any_addr.txt"));
  ASSERT_EQ(any.size(), 3u);
  EXPECT_EQ(any[0], (PortForward{Proto::Tcp, "127.0.0.2", 47203, 80}));
  EXPECT_EQ(any[1], (PortForward{Proto::Tcp, "0.0.0.0", 47100, 4000}));
}

TEST(PortForward, MonitorRepliesOfQemu72) {
  EXPECT_EQ(hostfwd_add_error(""), "");
  EXPECT_EQ(hostfwd_add_error("Could not set up host forwarding rule 'tcp:127.0.0.1:47100-:4000'\r\n"),
            "Could not set up host forwarding rule 'tcp:127.0.0.1:47100-:4000'");
  EXPECT_EQ(hostfwd_remove_error("host forwarding rule for tcp:127.0.0.1:47100 removed\r\n"), "");
  EXPECT_EQ(hostfwd_remove_error("host forwarding rule for tcp:127.0.0.1:47100 not found\r\n"), "");
  EXPECT_EQ(hostfwd_remove_error("unrecognized netdev id 'nosuch'\r\n"), "unrecognized netdev id 'nosuch'");
}

// A monitor that keeps a forward table the way slirp does.
struct FakeMonitor {
  std::vector<std::string> commands;
  std::string usernet = data("info_usernet_tcp_udp.txt");
  std::string add_reply;
  HmpRunner runner() {
    return [this](const std::string& c) {
      commands.push_back(c);
      if (c == "info usernet") return usernet;
      if (c.rfind("hostfwd_add", 0) == 0) return add_reply;
      return std::string("host forwarding rule for x removed\r\n");
    };
  }
};

TEST(PortForward, HmpAddIsIdempotent) {
  FakeMonitor m;
  hmp_add_forward(m.runner(), "net0", {Proto::Tcp, "127.0.0.1", 47100, 4000});  // listed already
  EXPECT_EQ(m.commands, std::vector<std::string>{"info usernet"});
  hmp_add_forward(m.runner(), "net0", {Proto::Tcp, "127.0.0.1", 4000, 4000});
  EXPECT_EQ(m.commands.back(), "hostfwd_add net0 tcp:127.0.0.1:4000-:4000");
}

TEST(PortForward, HmpAddRefusedIsUnavailableWithTheMonitorsWords) {
  FakeMonitor m;
  m.add_reply = "Could not set up host forwarding rule 'tcp:127.0.0.1:4000-:4000'\r\n";
  try {
    hmp_add_forward(m.runner(), "net0", {Proto::Tcp, "127.0.0.1", 4000, 4000});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::Unavailable);
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:4000/tcp"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("Could not set up"), std::string::npos) << e.what();
  }
}

TEST(PortForward, HmpRemoveOfAnAbsentRuleSucceeds) {
  std::vector<std::string> seen;
  HmpRunner hmp = [&](const std::string& c) {
    seen.push_back(c);
    return std::string("host forwarding rule for udp:127.0.0.1:5353 not found\r\n");
  };
  EXPECT_NO_THROW(hmp_remove_forward(hmp, "net0", {Proto::Udp, "127.0.0.1", 5353, 5353}));
  EXPECT_EQ(seen, std::vector<std::string>{"hostfwd_remove net0 udp:127.0.0.1:5353"});
}

int bound_socket(int type, int port) {
  int fd = ::socket(AF_INET, type, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  if (type == SOCK_STREAM) ::listen(fd, 1);
  return fd;
}

TEST(PortForward, HostPortFreeSeesTakenTcpAndUdpPorts) {
  int port = pick_free_loopback_ports(1).front();
  PortForward tcp{Proto::Tcp, "127.0.0.1", port, port}, udp{Proto::Udp, "127.0.0.1", port, port};
  EXPECT_TRUE(host_port_free(tcp));
  int t = bound_socket(SOCK_STREAM, port);
  EXPECT_FALSE(host_port_free(tcp));
  ::close(t);
  EXPECT_TRUE(host_port_free(tcp));
  if (!host_port_free(udp)) GTEST_SKIP() << "someone else holds udp " << port;
  int u = bound_socket(SOCK_DGRAM, port);
  EXPECT_FALSE(host_port_free(udp));
  EXPECT_TRUE(host_port_free(tcp)) << "a UDP socket does not take the TCP port";
  ::close(u);
  EXPECT_TRUE(host_port_free(udp));
  EXPECT_FALSE(host_port_free({Proto::Tcp, "not-an-address", port, port}));
}

}  // namespace
}  // namespace machine::drivers
