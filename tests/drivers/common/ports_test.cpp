// Loopback port allocation: never a taken, excluded or already handed-out port.
#include "drivers/common/ports.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "machine/error.h"
#include "tests/support/temp_dir.h"

namespace machine::drivers {
namespace {

// Listens on 127.0.0.1:<kernel-chosen port> for the test's lifetime.
struct Listener {
  Listener() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(fd, 1), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~Listener() { ::close(fd); }
  int fd;
  int port;
};

TEST(Ports, TakenPortIsNotFree) {
  Listener l;
  EXPECT_FALSE(loopback_port_free(l.port));
}

TEST(Ports, PicksDistinctFreePorts) {
  auto ports = pick_free_loopback_ports(2);
  ASSERT_EQ(ports.size(), 2u);
  EXPECT_NE(ports[0], ports[1]);
  for (int p : ports) EXPECT_TRUE(loopback_port_free(p));
}

TEST(Ports, SkipsTakenExcludedAndRepeatedCandidates) {
  Listener taken;
  std::vector<int> seq{taken.port, 50001, 50002, 50002, 50003};
  size_t i = 0;
  auto got = pick_ports(
      2, {50001}, [&] { return seq[i++ % seq.size()]; }, loopback_port_free);
  EXPECT_EQ(got, (std::vector<int>{50002, 50003}));
}

TEST(Ports, NeverHandsOutTheSamePortTwiceInOneProcess) {
  auto free_always = [](int) { return true; };
  auto a = pick_ports(
      1, {}, [] { return 51001; }, free_always);
  EXPECT_EQ(a[0], 51001);
  int n = 51001;
  auto b = pick_ports(
      1, {}, [&] { return n++; }, free_always);
  EXPECT_EQ(b[0], 51002);
}

TEST(Ports, GivesUpWhenNothingIsFree) {
  try {
    pick_ports(
        1, {}, [] { return 52001; }, [](int) { return false; });
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::Unavailable);
  }
}

TEST(Ports, ReadsPortsOtherMachinesReserved) {
  testing::TempDir store;
  for (auto [name, ssh, engine] : {std::tuple{"a", 41000, 41001}, std::tuple{"b", 42000, 42001}}) {
    std::filesystem::create_directories(store / "machines" / name);
    nlohmann::json j{{"Driver", {{"SSHPort", ssh}, {"EnginePort", engine}}}};
    testing::write_file(store / "machines" / name / "config.json", j.dump());
  }
  std::filesystem::create_directories(store / "machines" / "broken");
  testing::write_file(store / "machines" / "broken" / "config.json", "{not json");
  auto used = ports_used_by_machines(store.path(), {"SSHPort", "EnginePort"}, "b");
  EXPECT_EQ(used, (std::set<int>{41000, 41001}));
}

TEST(Ports, PortsOfOtherMachinesAreExcluded) {
  std::set<int> used{53001, 53002};
  int n = 53001;
  auto got = pick_ports(
      2, used, [&] { return n++; }, [](int) { return true; });
  EXPECT_EQ(got, (std::vector<int>{53003, 53004}));
}

}  // namespace
}  // namespace machine::drivers
