#include "machine/progress.h"

#include <unistd.h>

namespace machine {

ConsoleProgress::ConsoleProgress(std::FILE* out, std::FILE* tty)
    : out_(out), tty_(tty), interactive_(::isatty(::fileno(tty)) == 1) {}

ConsoleProgress::~ConsoleProgress() { clear(); }

void ConsoleProgress::clear() {
  if (dirty_) {
    std::fputs("\r\033[K", tty_);
    std::fflush(tty_);
    dirty_ = false;
  }
}

void ConsoleProgress::step(std::string_view line) {
  clear();
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fputc('\n', out_);
  std::fflush(out_);
}

void ConsoleProgress::status(std::string_view transient) {
  if (!interactive_) return;
  std::fputs("\r\033[K", tty_);
  std::fwrite(transient.data(), 1, transient.size(), tty_);
  std::fflush(tty_);
  dirty_ = true;
}

}  // namespace machine
