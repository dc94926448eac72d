#pragma once
// Golden files of the CLI: tests/cli/golden/<name> (tests/support/golden.h compares them).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "tests/support/golden.h"

namespace machine::cli::testing {

inline std::filesystem::path golden_path(const std::string& name) {
  return std::filesystem::path(MACHINE_SOURCE_DIR) / "tests" / "cli" / "golden" / name;
}

inline void expect_golden(const std::string& name, const std::string& actual) {
  machine::testing::expect_golden_file(golden_path(name), actual);
}

}  // namespace machine::cli::testing
