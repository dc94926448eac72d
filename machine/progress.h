#pragma once
// Reporting for long work (image build, VM boot). `step` lines are docker-machine's
// progress lines ("Creating machine...") and always print; `status` is what the step is
// doing now ("waiting for SSH", an image build phase). On a terminal the status is one line
// redrawn every second with the seconds since the step began and a spinner (the heartbeat);
// piped, each new status is one plain line with no carriage returns or escape codes.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

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

// Writes steps to `out`; statuses go to `tty`: redrawn in place with a heartbeat when it
// is a terminal, else one line per distinct status. Thread-safe.
class ConsoleProgress final : public Progress {
 public:
  explicit ConsoleProgress(std::FILE* out = stdout, std::FILE* tty = stderr);
  ~ConsoleProgress() override;
  void step(std::string_view line) override;
  void status(std::string_view transient) override;

 private:
  void clear_locked();
  void draw_locked();
  void tick();
  std::FILE* out_;
  std::FILE* tty_;
  bool interactive_;
  bool dirty_ = false;
  std::mutex mu_;
  std::condition_variable wake_;
  std::thread ticker_;  // started by the first status on a terminal
  bool stopping_ = false;
  std::string status_;      // the status being shown ("" after a step)
  std::string last_plain_;  // the last status printed as a plain line (piped)
  std::chrono::steady_clock::time_point step_started_ = std::chrono::steady_clock::now();
  unsigned frame_ = 0;
};

// Records nothing; for library callers, tests and --quiet.
class NullProgress final : public Progress {
 public:
  void step(std::string_view) override {}
  void status(std::string_view) override {}
};

}  // namespace machine
