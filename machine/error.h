#pragma once
// Canonical error type for every layer. Each layer adds short lowercase context
// ("cannot create disk for 'vm1': qemu-img failed: ..."); only cli/ turns errors
// into messages and exit codes.
#include <stdexcept>
#include <string>
#include <string_view>

namespace machine {

enum class Code {
  NotFound,
  AlreadyExists,
  InvalidArgument,
  FailedPrecondition,  // e.g. pre-create check failed (exit 3), wrong state
  Unavailable,         // a peer (VM, SSH, engine, hypervisor) did not answer
  Internal,
  Cancelled,  // interrupted by the user (Ctrl-C)
};

std::string_view code_name(Code code) noexcept;

class Error : public std::runtime_error {
 public:
  Error(Code code, const std::string& message) : std::runtime_error(message), code_(code) {}
  Code code() const noexcept { return code_; }
  // A copy of this error whose message reads "context: <message>".
  Error with_context(std::string_view context) const {
    return Error(code_, std::string(context) + ": " + what());
  }

 private:
  Code code_;
};

[[noreturn]] inline void fail(Code code, const std::string& message) { throw Error(code, message); }

// Runs f(); rethrows any machine::Error with context prepended.
template <typename F>
decltype(auto) with_context(std::string_view context, F&& f) {
  try {
    return f();
  } catch (const Error& e) {
    throw e.with_context(context);
  }
}

}  // namespace machine
