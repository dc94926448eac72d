#pragma once
// Small helpers the end-to-end benchmarks share: settings from the environment, the
// output of a shell command, benchmarks registered once per machine OS suite.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "guest/recipe.h"

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

// Registers fn(state, suite) once per machine OS suite as "<name>/<suite>" (one timed
// iteration, in seconds), so the suites compare side by side in one run.
template <class Fn>
void register_per_suite(const std::string& name, Fn fn) {
  for (const auto& suite : machine::guest::suites())
    benchmark::RegisterBenchmark((name + "/" + suite).c_str(), fn, suite)
        ->UseManualTime()
        ->Iterations(1)
        ->Unit(benchmark::kSecond);
}

// BENCHMARK_MAIN()'s body, for executables that register their benchmarks at run time.
inline int run_benchmarks(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

}  // namespace machine::bench
