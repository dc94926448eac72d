// The one readiness wait every VM driver uses: order of probes, Ctrl-C, timeouts.
#include "drivers/common/readiness.h"

#include <gtest/gtest.h>

#include "drivers/common/ipv4.h"
#include "machine/cancel.h"
#include "machine/error.h"
#include "tests/support/recording_progress.h"

namespace machine::drivers::common {
namespace {
using namespace std::chrono_literals;

struct FakeGuest {
  std::string console;
  bool marker = true;
  bool ssh = false;
  int polls = 0, probes = 0;
  std::function<void()> on_sleep;

  BootWatch watch() {
    BootWatch w;
    w.machine = "vm1";
    w.console = [this] {
      ++polls;
      return console;
    };
    w.check_running = [](const std::string&) {};
    w.expects_marker = [this](const std::string&) { return marker; };
    w.reachable = [this] {
      ++probes;
      return ssh;
    };
    w.sleep = [this](std::chrono::milliseconds) {
      if (on_sleep) on_sleep();
    };
    return w;
  }
};

class ReadinessTest : public ::testing::Test {
 protected:
  void TearDown() override { reset_cancel(); }
  testing::RecordingProgress progress;
};

TEST_F(ReadinessTest, WaitsForTheBootMarkerBeforeProbingSsh) {
  FakeGuest g;
  g.ssh = true;
  g.on_sleep = [&] {
    if (g.polls == 3) g.console = "machine-boot-done\n";
  };
  wait_until_ready(g.watch(), progress, 30s);
  EXPECT_EQ(g.polls, 4);
  EXPECT_EQ(g.probes, 1);
  EXPECT_EQ(progress.statuses.front(), "waiting for the guest to boot");
}

TEST_F(ReadinessTest, WithoutAMarkerSshAloneDecides) {
  FakeGuest g;
  g.marker = false;
  g.on_sleep = [&] { g.ssh = g.polls == 2; };
  wait_until_ready(g.watch(), progress, 30s);
  EXPECT_EQ(g.probes, 3);
  EXPECT_EQ(progress.statuses.back(), "waiting for SSH");
}

TEST_F(ReadinessTest, CtrlCEndsTheWaitOnTheNextPoll) {
  FakeGuest g;
  g.on_sleep = [&] { request_cancel(); };
  try {
    wait_until_ready(g.watch(), progress, 600s);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::Cancelled) << e.what();
  }
  EXPECT_EQ(g.polls, 1);
}

TEST_F(ReadinessTest, AStoppedVmEndsTheWaitWithItsReason) {
  FakeGuest g;
  g.console = "kernel panic\n";
  auto w = g.watch();
  w.check_running = [](const std::string& console) { fail(Code::Unavailable, "stopped: " + console); };
  try {
    wait_until_ready(w, progress, 600s);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::Unavailable);
    EXPECT_STREQ(e.what(), "stopped: kernel panic\n");
  }
}

TEST_F(ReadinessTest, TimeoutNamesTheMachine) {
  FakeGuest g;
  g.console = "one\ntwo\nlast words\n";
  try {
    wait_until_ready(g.watch(), progress, 0s);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::Unavailable);
    EXPECT_NE(std::string(e.what()).find("machine 'vm1' was not ready within 0 s"), std::string::npos)
        << e.what();
  }
}

TEST(Ipv4, ParsesAndFormatsDottedQuads) {
  EXPECT_EQ(parse_ipv4("192.168.99.1"), 0xc0a86301u);
  EXPECT_EQ(format_ipv4(0xc0a86301u), "192.168.99.1");
  for (auto bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4 ", "1..2.3", "0001.2.3.4"})
    EXPECT_FALSE(parse_ipv4(bad)) << bad;
}

TEST(Ipv4, CidrArithmetic) {
  auto c = parse_cidr("192.168.99.1/24");
  ASSERT_TRUE(c);
  EXPECT_EQ(format_ipv4(c->network()), "192.168.99.0");
  EXPECT_EQ(format_ipv4(c->broadcast()), "192.168.99.255");
  EXPECT_EQ(c->size(), 256u);
  EXPECT_TRUE(c->contains(0xc0a863feu));
  EXPECT_FALSE(c->contains(0xc0a86401u));
  EXPECT_EQ(c->text(), "192.168.99.1/24");
  EXPECT_EQ(mask_prefix(prefix_mask(20)), 20);
  EXPECT_FALSE(mask_prefix(0xff00ff00u));
  for (auto bad : {"192.168.99.1", "192.168.99.1/33", "192.168.99.1/", "192.168.99.1/2x", "x/24"})
    EXPECT_FALSE(parse_cidr(bad)) << bad;
}

}  // namespace
}  // namespace machine::drivers::common
