#include "machine/state.h"

#include <gtest/gtest.h>

namespace machine {
namespace {

TEST(State, NamesRoundTrip) {
  for (State s : {State::Running, State::Paused, State::Saved, State::Stopped, State::Stopping, State::Starting,
                  State::Error, State::Timeout}) {
    EXPECT_EQ(parse_state(state_name(s)), s);
  }
  EXPECT_EQ(parse_state("running"), State::Running);
  EXPECT_FALSE(parse_state("bogus").has_value());
  EXPECT_EQ(state_name(State::None), "");
}

TEST(State, StartOfRunningMachineIsANoOp) {
  auto t = check_transition(State::Running, Action::Start);
  EXPECT_FALSE(t.needed);
  EXPECT_EQ(t.message, "Host is already running.");
  EXPECT_TRUE(check_transition(State::Stopped, Action::Start).needed);
  EXPECT_TRUE(check_transition(State::Error, Action::Start).needed);
}

TEST(State, StopOrKillOfStoppedMachineIsANoOp) {
  EXPECT_FALSE(check_transition(State::Stopped, Action::Stop).needed);
  EXPECT_FALSE(check_transition(State::Stopped, Action::Kill).needed);
  EXPECT_TRUE(check_transition(State::Running, Action::Stop).needed);
  EXPECT_TRUE(check_transition(State::Paused, Action::Kill).needed);
}

}  // namespace
}  // namespace machine
