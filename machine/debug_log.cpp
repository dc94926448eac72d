#include "machine/debug_log.h"

#include <unistd.h>

#include <array>
#include <atomic>

namespace machine::debug {
namespace {
std::atomic<bool> g_enabled{false};
}

void enable(bool on) noexcept { g_enabled.store(on, std::memory_order_relaxed); }
bool enabled() noexcept { return g_enabled.load(std::memory_order_relaxed); }

void log(std::string_view line) {
  if (!enabled()) return;
  std::string text = "[debug] ";
  text += line;
  text += '\n';
  std::string_view rest = text;
  while (!rest.empty()) {
    ssize_t n = ::write(2, rest.data(), rest.size());
    if (n <= 0) return;  // stderr closed: nothing useful to do
    rest.remove_prefix(static_cast<size_t>(n));
  }
}

long long elapsed_ms(std::chrono::steady_clock::time_point start) noexcept {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start)
      .count();
}

std::optional<bool> parse_go_bool(std::string_view s) noexcept {
  static constexpr std::array<std::string_view, 6> yes{"1", "t", "T", "TRUE", "true", "True"};
  static constexpr std::array<std::string_view, 6> no{"0", "f", "F", "FALSE", "false", "False"};
  for (auto y : yes)
    if (s == y) return true;
  for (auto n : no)
    if (s == n) return false;
  return std::nullopt;
}

}  // namespace machine::debug
