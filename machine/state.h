#pragma once
// Machine states with docker-machine's spellings, and the one place that knows which
// command may run in which state, with docker-machine's message when it may not.
#include <string>
#include <string_view>

namespace machine {

enum class State { None, Running, Paused, Saved, Stopped, Stopping, Starting, Error, Timeout };

// "Running", "Stopped", ... ("" for None), as docker-machine prints them.
std::string_view state_name(State s) noexcept;

// docker-machine's drivers.ErrHostIsNotRunning text (`ls` shows no error for it).
inline constexpr std::string_view kHostIsNotRunning = "Host is not running";

// Commands whose meaning depends on the machine's state.
enum class Action {
  Start,
  Stop,
  Kill,
  Restart,
  Upgrade,  // change the state
  Url,
  Ip,
  Env,
  Config,
  Version,
  Ssh,  // need a running machine
};

enum class Verdict {
  Proceed,     // do it
  Refuse,      // Error(FailedPrecondition) with `message`, exit 1 (docker-machine's text)
  StartFirst,  // start the machine (printing `message` when not empty), then do it; for
               // Restart of a stopped machine the start is all there is to do
  Resume,      // Start of a paused machine: resume it (Driver::resume) instead of booting it
};

struct Transition {
  Verdict verdict = Verdict::Proceed;
  std::string message;
};

// What `action` does on machine `name` in state `s`. Every driver goes through this (the
// `none` driver reports Running, so `start` says it is already running, as docker-machine).
Transition check_transition(State s, Action action, std::string_view name);

// Throws Error(FailedPrecondition, message) when check_transition refuses; returns the verdict.
Transition require_transition(State s, Action action, std::string_view name);

}  // namespace machine
