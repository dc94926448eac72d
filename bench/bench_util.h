#pragma once
// Small helpers the end-to-end benchmarks share: settings from the environment and the
// output of a shell command.
#include <cstdio>
#include <cstdlib>
#include <string>

namespace machine::bench {

inline std::string env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

// The machine binary under test (MACHINE_BINARY, else the build tree's).
inline std::string binary() { return env_or("MACHINE_BINARY", "build/cli/machine"); }

// stdout of `cmd` run by /bin/sh, without trailing newlines ("" when it cannot start).
inline std::string capture(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace machine::bench
