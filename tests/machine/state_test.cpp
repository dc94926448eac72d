#include "machine/state.h"

#include <gtest/gtest.h>

#include "machine/error.h"

namespace machine {
namespace {

TEST(State, NamesAreDockerMachines) {
  EXPECT_EQ(state_name(State::Running), "Running");
  EXPECT_EQ(state_name(State::Stopped), "Stopped");
  EXPECT_EQ(state_name(State::Paused), "Paused");
  EXPECT_EQ(state_name(State::None), "");
}

Transition t(State s, Action a) { return check_transition(s, a, "vm1"); }

TEST(State, StartOfARunningMachineIsDockerMachinesError) {
  EXPECT_EQ(t(State::Running, Action::Start).verdict, Verdict::Refuse);
  EXPECT_EQ(t(State::Running, Action::Start).message, "Machine \"vm1\" is already running.");
  EXPECT_EQ(t(State::Stopped, Action::Start).verdict, Verdict::Proceed);
  EXPECT_EQ(t(State::Error, Action::Start).verdict, Verdict::Proceed);
}

TEST(State, StartOfAPausedMachineResumesIt) {
  EXPECT_EQ(t(State::Paused, Action::Start).verdict, Verdict::Resume);
  EXPECT_EQ(t(State::Paused, Action::Start).message, "");
  EXPECT_EQ(t(State::Paused, Action::Restart).verdict, Verdict::Proceed);
}

TEST(State, StopOrKillOfAStoppedMachineIsDockerMachinesError) {
  for (Action a : {Action::Stop, Action::Kill}) {
    EXPECT_EQ(t(State::Stopped, a).verdict, Verdict::Refuse);
    EXPECT_EQ(t(State::Stopped, a).message, "Machine \"vm1\" is already stopped.");
    EXPECT_EQ(t(State::Running, a).verdict, Verdict::Proceed);
    EXPECT_EQ(t(State::Paused, a).verdict, Verdict::Proceed);
  }
}

TEST(State, RestartAndUpgradeStartAStoppedMachineFirst) {
  EXPECT_EQ(t(State::Stopped, Action::Restart).verdict, Verdict::StartFirst);
  EXPECT_EQ(t(State::Running, Action::Restart).verdict, Verdict::Proceed);
  EXPECT_EQ(t(State::Stopped, Action::Upgrade).verdict, Verdict::StartFirst);
  EXPECT_EQ(t(State::Stopped, Action::Upgrade).message, "Starting machine so machine can be upgraded...");
  EXPECT_EQ(t(State::Running, Action::Upgrade).verdict, Verdict::Proceed);
}

TEST(State, CommandsThatNeedARunningMachineUseEachCommandsWording) {
  std::vector<std::pair<Action, std::string>> want{
      {Action::Url, "Host is not running"},
      {Action::Version, "Host is not running"},
      {Action::Ip, "Error getting IP address: Host is not running"},
      {Action::Env, "Error checking TLS connection: Host is not running"},
      {Action::Config, "Error running connection boilerplate: Host is not running"},
      {Action::Ssh, "Error: Cannot run SSH command: Host \"vm1\" is not running"},
  };
  for (const auto& [a, message] : want) {
    EXPECT_EQ(t(State::Stopped, a).verdict, Verdict::Refuse);
    EXPECT_EQ(t(State::Stopped, a).message, message);
    EXPECT_EQ(t(State::Running, a).verdict, Verdict::Proceed);
  }
  try {
    require_transition(State::Stopped, Action::Url, "vm1");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::FailedPrecondition);
    EXPECT_STREQ(e.what(), "Host is not running");
  }
}

}  // namespace
}  // namespace machine
