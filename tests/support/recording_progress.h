#pragma once
// A Progress that keeps what it was told, for tests that check what the user would see.
#include <string>
#include <string_view>
#include <vector>

#include "machine/progress.h"

namespace machine::testing {

class RecordingProgress final : public Progress {
 public:
  void step(std::string_view line) override { steps.emplace_back(line); }
  void status(std::string_view transient) override { statuses.emplace_back(transient); }
  // The steps as printed, one per line.
  std::string lines() const {
    std::string out;
    for (const auto& s : steps) (out += s) += "\n";
    return out;
  }
  std::vector<std::string> steps;
  std::vector<std::string> statuses;
};

}  // namespace machine::testing
