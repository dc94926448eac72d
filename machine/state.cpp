#include "machine/state.h"

#include <algorithm>
#include <array>
#include <cctype>

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
}  // namespace

std::string_view state_name(State s) noexcept {
  for (const auto& [st, name] : kNames)
    if (st == s) return name;
  return "";
}

std::optional<State> parse_state(std::string_view s) noexcept {
  for (const auto& [st, name] : kNames) {
    if (name.size() == s.size() &&
        std::equal(name.begin(), name.end(), s.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
        }))
      return st;
  }
  return std::nullopt;
}

Transition check_transition(State s, Action action) {
  switch (action) {
    case Action::Start:
      if (s == State::Running) return {false, "Host is already running."};
      return {true, ""};
    case Action::Stop:
      if (s == State::Stopped) return {false, "Host is already stopped."};
      return {true, ""};
    case Action::Kill:
      if (s == State::Stopped) return {false, "Host is already stopped."};
      return {true, ""};
    case Action::Restart:
      return {true, ""};
  }
  return {true, ""};
}

}  // namespace machine
