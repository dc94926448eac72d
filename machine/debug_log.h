#pragma once
// The debug log of `-D` / `--debug` / MACHINE_DEBUG=1 (docker-machine's log.Debug): one line
// per external command (arguments, exit status, duration), SSH command, engine request,
// wait poll and create step, on stderr, for bug reports. Off by default; the CLI turns it on.
// A process-wide switch on purpose: it is a diagnostic side channel, not behaviour, and
// threading a logger through every layer would change every signature for it.
#include <fmt/format.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace machine::debug {

void enable(bool on) noexcept;
bool enabled() noexcept;

// Writes "[debug] <line>\n" to stderr in one write (lines from threads do not interleave).
void log(std::string_view line);

template <typename... Args>
void logf(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled()) log(fmt::format(f, std::forward<Args>(args)...));
}

// Milliseconds since `start`, for "(12 ms)" suffixes.
long long elapsed_ms(std::chrono::steady_clock::time_point start) noexcept;

// docker-machine's MACHINE_DEBUG parsing (Go's strconv.ParseBool): 1 t T TRUE true True,
// 0 f F FALSE false False; nullopt for anything else.
std::optional<bool> parse_go_bool(std::string_view s) noexcept;

}  // namespace machine::debug
