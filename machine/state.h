#pragma once
// Machine states with docker-machine's spellings, and the one place that knows which
// lifecycle transitions are legal.
#include <optional>
#include <string>
#include <string_view>

namespace machine {

enum class State { None, Running, Paused, Saved, Stopped, Stopping, Starting, Error, Timeout };

// "Running", "Stopped", ... ("" for None), as docker-machine prints them.
std::string_view state_name(State s) noexcept;
// Case-insensitive inverse of state_name; nullopt for an unknown word.
std::optional<State> parse_state(std::string_view s) noexcept;

enum class Action { Start, Stop, Kill, Restart };

// Whether `action` makes sense in state `s`; when it does not, `message` tells why in
// docker-machine's words ("Host is already running").
struct Transition {
  bool needed;          // false: nothing to do (already in the target state)
  std::string message;  // why nothing is done
};
Transition check_transition(State s, Action action);

}  // namespace machine
