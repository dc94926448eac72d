#include "machine/progress.h"

#include <fmt/format.h>
#include <unistd.h>

namespace machine {

using namespace std::chrono_literals;

ConsoleProgress::ConsoleProgress(std::FILE* out, std::FILE* tty)
    : out_(out), tty_(tty), interactive_(::isatty(::fileno(tty)) == 1) {}

ConsoleProgress::~ConsoleProgress() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    clear_locked();
  }
  wake_.notify_all();
  if (ticker_.joinable()) ticker_.join();
}

void ConsoleProgress::clear_locked() {
  if (dirty_) {
    std::fputs("\r\033[K", tty_);
    std::fflush(tty_);
    dirty_ = false;
  }
}

// "- waiting for SSH (12 s)": the spinner turns every redraw, so a frozen line means a
// frozen machine, not a slow guest.
void ConsoleProgress::draw_locked() {
  static constexpr char kFrames[] = {'|', '/', '-', '\\'};
  auto secs =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - step_started_);
  std::string line = fmt::format("{} {} ({} s)", kFrames[frame_++ % 4], status_, secs.count());
  std::fputs("\r\033[K", tty_);
  std::fwrite(line.data(), 1, line.size(), tty_);
  std::fflush(tty_);
  dirty_ = true;
}

void ConsoleProgress::tick() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    wake_.wait_for(lock, 1s);
    if (!stopping_ && !status_.empty()) draw_locked();
  }
}

void ConsoleProgress::step(std::string_view line) {
  std::lock_guard lock(mu_);
  clear_locked();
  status_.clear();
  last_plain_ = std::string(line);  // a status repeating the step adds nothing when piped
  step_started_ = std::chrono::steady_clock::now();
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fputc('\n', out_);
  std::fflush(out_);
}

void ConsoleProgress::status(std::string_view transient) {
  std::lock_guard lock(mu_);
  if (!interactive_) {
    if (transient.empty() || transient == last_plain_) return;
    last_plain_ = std::string(transient);
    std::fwrite(transient.data(), 1, transient.size(), tty_);
    std::fputc('\n', tty_);
    std::fflush(tty_);
    return;
  }
  if (transient == status_) return;  // the ticker redraws it; callers repeat statuses while polling
  status_ = std::string(transient);
  if (!ticker_.joinable()) ticker_ = std::thread([this] { tick(); });
  draw_locked();
}

}  // namespace machine
