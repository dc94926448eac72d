#include "machine/state.h"

#include <fmt/format.h>

#include <array>

#include "machine/error.h"

namespace machine {
namespace {
constexpr std::array<std::pair<State, std::string_view>, 9> kNames{{
    {State::None, ""},
    {State::Running, "Running"},
    {State::Paused, "Paused"},
    {State::Saved, "Saved"},
    {State::Stopped, "Stopped"},
    {State::Stopping, "Stopping"},
    {State::Starting, "Starting"},
    {State::Error, "Error"},
    {State::Timeout, "Timeout"},
}};

// mcnerror.ErrHostAlreadyInState.
Transition already(std::string_view name, std::string_view state) {
  return {Verdict::Refuse, fmt::format("Machine \"{}\" is already {}.", name, state)};
}
Transition refuse(std::string message) { return {Verdict::Refuse, std::move(message)}; }
}  // namespace

std::string_view state_name(State s) noexcept {
  for (const auto& [st, name] : kNames)
    if (st == s) return name;
  return "";
}

Transition check_transition(State s, Action action, std::string_view name) {
  const bool running = s == State::Running;
  const std::string not_running(kHostIsNotRunning);
  // The texts are docker-machine v0.16.2's, each command wrapping ErrHostIsNotRunning its own way.
  switch (action) {
    case Action::Start:
      if (s == State::Paused) return {Verdict::Resume, ""};
      return running ? already(name, "running") : Transition{};
    case Action::Stop:
    case Action::Kill:
      return s == State::Stopped ? already(name, "stopped") : Transition{};
    case Action::Restart:  // host.Restart: a stopped machine is started
      return s == State::Stopped ? Transition{Verdict::StartFirst, ""} : Transition{};
    case Action::Upgrade:
      return running ? Transition{}
                     : Transition{Verdict::StartFirst, "Starting machine so machine can be upgraded..."};
    case Action::Url:
    case Action::Version:
      return running ? Transition{} : refuse(not_running);
    case Action::Ip:
      return running ? Transition{} : refuse("Error getting IP address: " + not_running);
    case Action::Env:
      return running ? Transition{} : refuse("Error checking TLS connection: " + not_running);
    case Action::Config:
      return running ? Transition{} : refuse("Error running connection boilerplate: " + not_running);
    case Action::Ssh:
      return running ? Transition{}
                     : refuse(fmt::format("Error: Cannot run SSH command: Host \"{}\" is not running", name));
  }
  return {};
}

Transition require_transition(State s, Action action, std::string_view name) {
  auto t = check_transition(s, action, name);
  if (t.verdict == Verdict::Refuse) fail(Code::FailedPrecondition, t.message);
  return t;
}

}  // namespace machine
