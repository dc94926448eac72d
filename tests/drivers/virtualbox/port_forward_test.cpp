// Published-port forwards on a running VirtualBox VM (controlvm natpf1) against the fake
// VBoxManage: the rule, idempotent add and remove, nothing to do on a stopped VM.
#include <gtest/gtest.h>

#include <algorithm>

#include "drivers/virtualbox/vm_commands.h"
#include "machine/error.h"
#include "tests/drivers/virtualbox/vbox_fixture.h"

namespace machine::testing {
namespace {
using drivers::PortForward;
using drivers::Proto;

TEST(VBoxNatpf, RuleAndCommandsAreNamedAfterProtocolAndHostPort) {
  PortForward f{Proto::Udp, "127.0.0.1", 5353, 53};
  EXPECT_EQ(drivers::virtualbox::natpf_rule(f), "udp-5353,udp,127.0.0.1,5353,,53");
  EXPECT_EQ(drivers::virtualbox::natpf_add_command("vm1", f),
            (std::vector<std::string>{"controlvm", "vm1", "natpf1", "udp-5353,udp,127.0.0.1,5353,,53"}));
  EXPECT_EQ(drivers::virtualbox::natpf_delete_command("vm1", f),
            (std::vector<std::string>{"controlvm", "vm1", "natpf1", "delete", "udp-5353"}));
}

class VBoxPortForward : public VBoxCreatedTest {
 protected:
  std::vector<std::string> rules() {
    std::vector<std::string> out;
    auto state = fake_state();
    for (const auto& r : state["vms"]["vm1"]["natpf"]["1"]) out.push_back(r.get<std::string>());
    return out;
  }
};

TEST_F(VBoxPortForward, AddAndRemoveAreIdempotentAndKeepSshAndEngineRules) {
  EXPECT_TRUE(d_->features().port_forwarding);
  PortForward web{Proto::Tcp, "127.0.0.1", 4000, 4000};
  d_->add_forward(web);
  d_->add_forward(web);  // the fake refuses a rule name twice: the second add must not try
  auto r = rules();
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[2], "tcp-4000,tcp,127.0.0.1,4000,,4000");
  auto c = calls();
  EXPECT_EQ(std::count(c.begin(), c.end(), "controlvm vm1 natpf1 tcp-4000,tcp,127.0.0.1,4000,,4000"), 1);

  d_->remove_forward(web);
  d_->remove_forward(web);  // the fake refuses to delete an absent rule: must not try
  r = rules();
  EXPECT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].substr(0, 4), "ssh,");
  c = calls();
  EXPECT_EQ(std::count(c.begin(), c.end(), "controlvm vm1 natpf1 delete tcp-4000"), 1);
}

TEST_F(VBoxPortForward, UdpAndTcpOfOnePortAreTwoRules) {
  d_->add_forward({Proto::Tcp, "127.0.0.1", 5353, 5353});
  d_->add_forward({Proto::Udp, "127.0.0.1", 5353, 5353});
  EXPECT_EQ(rules().size(), 4u);
}

TEST_F(VBoxPortForward, RemoveOnAStoppedVmDoesNothing) {
  d_->add_forward({Proto::Tcp, "127.0.0.1", 4000, 4000});
  vbox({"controlvm", "vm1", "poweroff"});
  clear_calls();
  EXPECT_NO_THROW(d_->remove_forward({Proto::Tcp, "127.0.0.1", 4000, 4000}));
  EXPECT_EQ(calls(), std::vector<std::string>{"showvminfo vm1 --machinereadable"});
}

TEST_F(VBoxPortForward, AddOnAStoppedVmFailsWithVirtualBoxsWords) {
  vbox({"controlvm", "vm1", "poweroff"});
  try {
    d_->add_forward({Proto::Tcp, "127.0.0.1", 4000, 4000});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not currently running"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace machine::testing
