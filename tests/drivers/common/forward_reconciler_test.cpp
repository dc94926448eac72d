// The forwarder's rules against a fake driver and host: same port number, never steal a
// taken host port (report it once, retry), remove what is no longer published, re-add
// after a reconnect, pick up where a previous forwarder left off.
#include "drivers/common/forward_reconciler.h"

#include <gtest/gtest.h>

#include "machine/error.h"

namespace machine::drivers {
namespace {
using Kind = ForwardChange::Kind;

PortForward fwd(Proto p, int port, const std::string& addr = "127.0.0.1") { return {p, addr, port, port}; }

// A driver's forward table and a host whose ports can be taken.
struct FakeHost {
  std::set<PortForward> driver;  // what the VM forwards
  std::set<int> taken;           // host ports someone else holds
  std::vector<std::string> calls;
  std::string refuse;  // add_forward fails with this message when set
  bool remove_fails = false;
  ForwardTarget target() {
    return {[this](const PortForward& f) {
              calls.push_back("add " + f.to_string());
              if (!refuse.empty()) fail(Code::Unavailable, refuse);
              driver.insert(f);
            },
            [this](const PortForward& f) {
              calls.push_back("remove " + f.to_string());
              if (remove_fails) fail(Code::Unavailable, "QMP did not answer");
              driver.erase(f);
            },
            [this](const PortForward& f) { return !taken.count(f.host_port) && !driver.count(f); }};
  }
};

std::vector<Kind> kinds(const std::vector<ForwardChange>& c) {
  std::vector<Kind> k;
  for (const auto& x : c) k.push_back(x.kind);
  return k;
}

TEST(ForwardReconciler, ForwardsEveryPublishedPortAtTheSameNumberOnThePublishAddress) {
  FakeHost h;
  ForwardReconciler r(h.target(), "127.0.0.1");
  auto c = r.reconcile({{Proto::Tcp, 4000}, {Proto::Udp, 5353}});
  EXPECT_EQ(kinds(c), (std::vector<Kind>{Kind::Added, Kind::Added}));
  EXPECT_EQ(h.driver, (std::set<PortForward>{fwd(Proto::Tcp, 4000), fwd(Proto::Udp, 5353)}));
  EXPECT_EQ(r.active(), h.driver);
  EXPECT_EQ(c[0].to_string(), "forwarding 127.0.0.1:4000/tcp to guest port 4000");

  ForwardReconciler any(h.target(), "0.0.0.0");
  any.reconcile({{Proto::Tcp, 8080}});
  EXPECT_TRUE(h.driver.count(fwd(Proto::Tcp, 8080, "0.0.0.0")));
}

TEST(ForwardReconciler, NothingChangesWhenNothingChanged) {
  FakeHost h;
  ForwardReconciler r(h.target(), "127.0.0.1");
  r.reconcile({{Proto::Tcp, 4000}});
  h.calls.clear();
  EXPECT_TRUE(r.reconcile({{Proto::Tcp, 4000}}).empty());
  EXPECT_TRUE(h.calls.empty());
}

TEST(ForwardReconciler, RemovesForwardsNoLongerPublished) {
  FakeHost h;
  ForwardReconciler r(h.target(), "127.0.0.1");
  r.reconcile({{Proto::Tcp, 4000}, {Proto::Udp, 5353}});
  auto c = r.reconcile({{Proto::Udp, 5353}});
  EXPECT_EQ(kinds(c), std::vector<Kind>{Kind::Removed});
  EXPECT_EQ(h.driver, std::set<PortForward>{fwd(Proto::Udp, 5353)});
  r.reconcile({});
  EXPECT_TRUE(h.driver.empty());
  EXPECT_TRUE(r.active().empty());
}

TEST(ForwardReconciler, TakenHostPortIsNotStolenReportedOnceAndTakenWhenFreed) {
  FakeHost h;
  h.taken = {4000};
  ForwardReconciler r(h.target(), "127.0.0.1");
  auto c = r.reconcile({{Proto::Tcp, 4000}, {Proto::Tcp, 4001}});
  EXPECT_EQ(kinds(c), (std::vector<Kind>{Kind::Skipped, Kind::Added}));
  EXPECT_EQ(c[0].to_string(), "not forwarding 127.0.0.1:4000/tcp: the port is in use on the host");
  EXPECT_FALSE(h.driver.count(fwd(Proto::Tcp, 4000)));
  EXPECT_EQ(h.calls, std::vector<std::string>{"add tcp:127.0.0.1:4001-:4001"}) << "no add for the taken port";
  ASSERT_EQ(r.skipped().size(), 1u);
  EXPECT_TRUE(r.retry().empty()) << "still taken: not reported again";
  h.taken.clear();
  c = r.retry();
  EXPECT_EQ(kinds(c), std::vector<Kind>{Kind::Added});
  EXPECT_TRUE(h.driver.count(fwd(Proto::Tcp, 4000)));
  EXPECT_TRUE(r.skipped().empty());
}

TEST(ForwardReconciler, UnpublishedSkippedPortIsForgotten) {
  FakeHost h;
  h.taken = {4000};
  ForwardReconciler r(h.target(), "127.0.0.1");
  r.reconcile({{Proto::Tcp, 4000}});
  r.reconcile({});
  EXPECT_TRUE(r.skipped().empty());
}

TEST(ForwardReconciler, DriverRefusalIsSkippedWithItsReason) {
  FakeHost h;
  h.refuse = "Could not set up host forwarding rule";
  ForwardReconciler r(h.target(), "127.0.0.1");
  auto c = r.reconcile({{Proto::Udp, 5353}});
  ASSERT_EQ(kinds(c), std::vector<Kind>{Kind::Skipped});
  EXPECT_EQ(r.skipped().begin()->second, "Could not set up host forwarding rule");
  EXPECT_TRUE(r.active().empty());
}

TEST(ForwardReconciler, ResyncReaddsActiveForwardsAfterTheVmRestarted) {
  FakeHost h;
  ForwardReconciler r(h.target(), "127.0.0.1");
  r.reconcile({{Proto::Tcp, 4000}});
  h.driver.clear();  // a new QEMU has none of them
  h.calls.clear();
  r.reconcile({{Proto::Tcp, 4000}}, /*resync=*/true);
  EXPECT_EQ(h.calls, std::vector<std::string>{"add tcp:127.0.0.1:4000-:4000"});
  EXPECT_TRUE(h.driver.count(fwd(Proto::Tcp, 4000)));
}

TEST(ForwardReconciler, ResyncMovesAForwardWhosePortWasTakenMeanwhileToSkipped) {
  FakeHost h;
  ForwardReconciler r(h.target(), "127.0.0.1");
  r.reconcile({{Proto::Tcp, 4000}});
  h.driver.clear();
  h.refuse = "Could not set up host forwarding rule";  // someone took it while the VM was down
  auto c = r.reconcile({{Proto::Tcp, 4000}}, true);
  EXPECT_EQ(kinds(c), std::vector<Kind>{Kind::Skipped});
  EXPECT_TRUE(r.active().empty());
}

TEST(ForwardReconciler, StartsFromWhatAPreviousForwarderLeft) {
  FakeHost h;
  h.driver = {fwd(Proto::Tcp, 4000), fwd(Proto::Tcp, 4001)};
  ForwardReconciler r(h.target(), "127.0.0.1", {fwd(Proto::Tcp, 4000), fwd(Proto::Tcp, 4001)});
  auto c = r.reconcile({{Proto::Tcp, 4000}}, true);
  // 4000 is held by the VM itself: re-added (idempotent), not probed and reported as taken.
  EXPECT_EQ(kinds(c), std::vector<Kind>{Kind::Removed});
  EXPECT_EQ(h.driver, std::set<PortForward>{fwd(Proto::Tcp, 4000)});
  EXPECT_TRUE(r.skipped().empty());
}

TEST(ForwardReconciler, FailedRemoveIsReportedAndRetried) {
  FakeHost h;
  ForwardReconciler r(h.target(), "127.0.0.1");
  r.reconcile({{Proto::Tcp, 4000}});
  h.remove_fails = true;
  auto c = r.reconcile({});
  ASSERT_EQ(kinds(c), std::vector<Kind>{Kind::Failed});
  EXPECT_NE(c[0].to_string().find("QMP did not answer"), std::string::npos);
  h.remove_fails = false;
  EXPECT_EQ(kinds(r.reconcile({})), std::vector<Kind>{Kind::Removed});
  EXPECT_TRUE(h.driver.empty());
}

}  // namespace
}  // namespace machine::drivers
