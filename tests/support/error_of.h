#pragma once
// The message of the machine::Error `f` throws ("" when it throws none), for tests that check
// what an error says; `code`, when given, receives its code.
#include <functional>
#include <string>

#include "machine/error.h"

namespace machine::testing {

inline std::string error_of(const std::function<void()>& f, Code* code = nullptr) {
  try {
    f();
  } catch (const Error& e) {
    if (code) *code = e.code();
    return e.what();
  }
  return "";
}

}  // namespace machine::testing
