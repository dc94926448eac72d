#pragma once
// Reporting for long work (image build, VM boot). `step` lines are docker-machine's
// progress lines ("Creating machine...") and always print; `status` is a transient
// "still working" line that only a terminal shows (quiet when piped).
#include <cstdio>
#include <string>
#include <string_view>

namespace machine {

class Progress {
 public:
  Progress() = default;
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  virtual ~Progress() = default;

  virtual void step(std::string_view line) = 0;
  virtual void status(std::string_view transient) = 0;
};

// Writes steps to `out`; statuses overwrite one line on `tty` when it is a terminal.
class ConsoleProgress final : public Progress {
 public:
  explicit ConsoleProgress(std::FILE* out = stdout, std::FILE* tty = stderr);
  ~ConsoleProgress() override;
  void step(std::string_view line) override;
  void status(std::string_view transient) override;

 private:
  void clear();
  std::FILE* out_;
  std::FILE* tty_;
  bool interactive_;
  bool dirty_ = false;
};

// Records nothing; for library callers and tests.
class NullProgress final : public Progress {
 public:
  void step(std::string_view) override {}
  void status(std::string_view) override {}
};

}  // namespace machine
