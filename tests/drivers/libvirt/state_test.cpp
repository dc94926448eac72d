// virDomainGetState (state, reason) -> machine state, every case.
#include <gtest/gtest.h>

#include "drivers/libvirt/domain_state.h"

namespace machine::drivers::libvirt {
namespace {

State st(int state, int reason = 0) { return map_domain_state(RawState{state, reason}).state; }

TEST(DomainState, MapsEveryLibvirtState) {
  EXPECT_EQ(st(VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_BOOTED), State::Running);
  EXPECT_EQ(st(VIR_DOMAIN_BLOCKED), State::Running);
  EXPECT_EQ(st(VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_USER), State::Paused);
  EXPECT_EQ(st(VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_STARTING_UP), State::Starting);
  EXPECT_EQ(st(VIR_DOMAIN_SHUTDOWN), State::Stopping);
  EXPECT_EQ(st(VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_SHUTDOWN), State::Stopped);
  EXPECT_EQ(st(VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_DESTROYED), State::Stopped);
  EXPECT_EQ(st(VIR_DOMAIN_PMSUSPENDED), State::Saved);
  EXPECT_EQ(st(VIR_DOMAIN_NOSTATE), State::None);
}

TEST(DomainState, CrashesAndFailuresAreErrorsWithAReason) {
  for (auto raw : {RawState{VIR_DOMAIN_CRASHED, 0}, RawState{VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_CRASHED},
                   RawState{VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_SHUTOFF_FAILED},
                   RawState{VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_IOERROR},
                   RawState{VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_CRASHED}}) {
    auto s = map_domain_state(raw);
    EXPECT_EQ(s.state, State::Error) << raw.state << "/" << raw.reason;
    EXPECT_FALSE(s.reason.empty());
  }
}

TEST(DomainState, UndefinedDomainIsAnError) {
  auto s = map_domain_state(std::nullopt);
  EXPECT_EQ(s.state, State::Error);
  EXPECT_NE(s.reason.find("does not exist"), std::string::npos);
}

}  // namespace
}  // namespace machine::drivers::libvirt
