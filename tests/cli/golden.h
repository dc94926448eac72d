#pragma once
// Golden-file comparison: tests/cli/golden/<name>. Run with MACHINE_UPDATE_GOLDEN=1 to
// rewrite the files from the current output (then review the diff before committing).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "tests/support/temp_dir.h"

namespace machine::cli::testing {

inline std::filesystem::path golden_path(const std::string& name) {
  return std::filesystem::path(MACHINE_SOURCE_DIR) / "tests" / "cli" / "golden" / name;
}

inline void expect_golden(const std::string& name, const std::string& actual) {
  auto path = golden_path(name);
  const char* update = std::getenv("MACHINE_UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    machine::testing::write_file(path, actual);
    return;
  }
  ASSERT_TRUE(std::filesystem::exists(path)) << "missing golden file " << path;
  EXPECT_EQ(machine::testing::read_file(path), actual) << "golden " << name;
}

}  // namespace machine::cli::testing
