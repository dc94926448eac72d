#pragma once
// Golden-file comparison for pure builders (argv, XML, units, CLI output). Run with
// MACHINE_UPDATE_GOLDEN=1 to rewrite the files from the current output, then review the diff.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "tests/support/temp_dir.h"

namespace machine::testing {

// Expects `actual` to equal the file at `path`, or rewrites it under MACHINE_UPDATE_GOLDEN.
inline void expect_golden_file(const std::filesystem::path& path, const std::string& actual) {
  if (const char* update = std::getenv("MACHINE_UPDATE_GOLDEN");
      update && *update && std::string(update) != "0") {
    write_file(path, actual);
    return;
  }
  ASSERT_TRUE(std::filesystem::exists(path))
      << "missing golden file " << path << " (run with MACHINE_UPDATE_GOLDEN=1)";
  EXPECT_EQ(read_file(path), actual) << "golden " << path;
}

}  // namespace machine::testing
