// Remote commands and interactive shells over libssh2 channels.
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "machine/cancel.h"
#include "machine/debug_log.h"
#include "machine/error.h"
#include "provisioner/ssh/ssh_libssh2.h"

namespace machine::ssh::detail {
namespace {

std::atomic<bool> g_window_changed{false};

void on_sigwinch(int) { g_window_changed = true; }

// Local terminal in raw mode for the life of an interactive shell; restored even on errors.
class RawTerminal {
 public:
  explicit RawTerminal(int fd) : fd_(fd) {
    if (!::isatty(fd) || ::tcgetattr(fd, &saved_) != 0) return;
    termios raw = saved_;
    ::cfmakeraw(&raw);
    active_ = ::tcsetattr(fd, TCSADRAIN, &raw) == 0;
  }
  ~RawTerminal() {
    if (active_) ::tcsetattr(fd_, TCSADRAIN, &saved_);
  }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

// SIGWINCH handler without SA_RESTART, so poll() wakes up with EINTR on a resize.
class WindowWatch {
 public:
  WindowWatch() {
    g_window_changed = false;
    struct sigaction sa {};
    sa.sa_handler = on_sigwinch;
    sigemptyset(&sa.sa_mask);
    installed_ = ::sigaction(SIGWINCH, &sa, &old_) == 0;
  }
  ~WindowWatch() {
    if (installed_) ::sigaction(SIGWINCH, &old_, nullptr);
  }
  WindowWatch(const WindowWatch&) = delete;
  WindowWatch& operator=(const WindowWatch&) = delete;

 private:
  struct sigaction old_ {};
  bool installed_ = false;
};

winsize window_size(int fd) {
  winsize ws{};
  if (::ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0) {
    ws.ws_col = 80;
    ws.ws_row = 24;
  }
  return ws;
}

void write_all_fd(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return;  // the local reader went away (closed pipe); keep draining the channel
    data.remove_prefix(static_cast<size_t>(n));
  }
}

struct Pump {
  OutputCallback on_stdout;
  OutputCallback on_stderr;
  std::string pending_stdin;  // bytes not yet accepted by the channel
  int stdin_fd = -1;          // still open for reading, or -1
  int winch_fd = -1;          // the tty whose size to forward on SIGWINCH, or -1
};

class Channel {
 public:
  explicit Channel(Libssh2Session& s) : s_(s) {
    Deadline deadline = Clock::now() + std::chrono::seconds(30);
    while (!(ch_ = libssh2_channel_open_session(s_.raw()))) {
      if (libssh2_session_last_errno(s_.raw()) != LIBSSH2_ERROR_EAGAIN) fail_with("cannot open ssh channel");
      s_.wait_socket(deadline);
    }
  }
  ~Channel() {
    if (ch_) libssh2_channel_free(ch_);
  }
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  LIBSSH2_CHANNEL* get() { return ch_; }
  void check(int rc, const char* what) {
    if (rc != 0) fail_with(what);
  }
  [[noreturn]] void fail_with(const std::string& what) {
    fail(Code::Unavailable, fmt::format("{} on {}: {}", what, s_.peer(), s_.last_error()));
  }

  // Moves data both ways until the remote side closes its output, then returns the exit status.
  int pump(Pump& p) {
    char buf[32 * 1024];
    bool eof_sent = false;
    for (;;) {
      bool progressed = drain(0, p.on_stdout, buf, sizeof buf) | drain(1, p.on_stderr, buf, sizeof buf);
      if (!p.pending_stdin.empty()) {
        ssize_t n = libssh2_channel_write(ch_, p.pending_stdin.data(), p.pending_stdin.size());
        if (n > 0) {
          p.pending_stdin.erase(0, static_cast<size_t>(n));
          progressed = true;
        } else if (n != LIBSSH2_ERROR_EAGAIN && n < 0) {
          // The remote side stopped reading (command exited): drop the rest of the input.
          p.pending_stdin.clear();
          p.stdin_fd = -1;
        }
      }
      if (p.pending_stdin.empty() && p.stdin_fd < 0 && !eof_sent) {
        int rc = libssh2_channel_send_eof(ch_);
        if (rc != LIBSSH2_ERROR_EAGAIN) eof_sent = true;  // an error here means the channel is closing
      }
      if (libssh2_channel_eof(ch_)) break;
      if (progressed) continue;
      wait(p, buf, sizeof buf);
    }
    return finish();
  }

 private:
  // Reads one stream until it would block; true if anything arrived.
  bool drain(int stream, const OutputCallback& sink, char* buf, size_t size) {
    bool any = false;
    for (;;) {
      ssize_t n = libssh2_channel_read_ex(ch_, stream, buf, size);
      if (n > 0) {
        if (sink) sink(std::string_view(buf, static_cast<size_t>(n)));
        any = true;
        continue;
      }
      if (n == 0 || n == LIBSSH2_ERROR_EAGAIN) return any;
      fail_with("ssh channel read failed");
    }
  }

  void wait(Pump& p, char* buf, size_t size) {
    int dir = libssh2_session_block_directions(s_.raw());
    pollfd fds[2] = {{s_.socket_fd(), POLLIN, 0}, {-1, POLLIN, 0}};
    if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND) fds[0].events |= POLLOUT;
    nfds_t count = 1;
    if (p.stdin_fd >= 0 && p.pending_stdin.empty()) {
      fds[1].fd = p.stdin_fd;
      count = 2;
    }
    int timeout = s_.keepalive();
    if (timeout < 0 || timeout > 250) timeout = 250;  // see cancellation below
    int n = ::poll(fds, count, timeout);
    if (n < 0 && errno != EINTR) fail(Code::Internal, fmt::format("poll failed: {}", std::strerror(errno)));
    // Ctrl-C outside a raw terminal (machine/cancel.h) ends the command; inside one it is a byte.
    throw_if_cancelled();
    if (p.winch_fd >= 0 && g_window_changed.exchange(false)) {
      winsize ws = window_size(p.winch_fd);
      s_.retry([&] { return libssh2_channel_request_pty_size(ch_, ws.ws_col, ws.ws_row); });
    }
    if (n > 0 && count == 2 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t got = ::read(p.stdin_fd, buf, size);
      if (got > 0) {
        p.pending_stdin.assign(buf, static_cast<size_t>(got));
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        p.stdin_fd = -1;  // local EOF: forwarded as channel EOF
      }
    }
  }

  int finish() {
    s_.retry([&] { return libssh2_channel_close(ch_); });
    s_.retry([&] { return libssh2_channel_wait_closed(ch_); });
    char* signal_name = nullptr;
    size_t signal_len = 0;
    libssh2_channel_get_exit_signal(ch_, &signal_name, &signal_len, nullptr, nullptr, nullptr, nullptr);
    if (signal_name) {
      libssh2_free(s_.raw(), signal_name);
      return 255;  // what OpenSSH's ssh returns for a remote command killed by a signal
    }
    return libssh2_channel_get_exit_status(ch_);
  }

  Libssh2Session& s_;
  LIBSSH2_CHANNEL* ch_ = nullptr;
};

}  // namespace

int Libssh2Session::exec(const std::string& command, const ExecIo& io) {
  const auto started = std::chrono::steady_clock::now();
  debug::logf("SSH cmd: {}", command);
  Channel ch(*this);
  ch.check(retry([&] { return libssh2_channel_exec(ch.get(), command.c_str()); }),
           fmt::format("cannot run `{}`", command).c_str());
  Pump p{io.on_stdout, io.on_stderr, io.stdin_data.value_or(""), io.stdin_data ? -1 : io.stdin_fd, -1};
  int status = ch.pump(p);
  debug::logf("SSH cmd exit status {} after {} ms", status, debug::elapsed_ms(started));
  return status;
}

int Libssh2Session::shell(const ShellOptions& opts) {
  Channel ch(*this);
  std::optional<RawTerminal> raw;
  std::optional<WindowWatch> watch;
  int winch_fd = -1;
  if (opts.pty) {
    winch_fd = ::isatty(opts.out_fd) ? opts.out_fd : opts.in_fd;
    winsize ws = window_size(winch_fd);
    ch.check(retry([&] {
               return libssh2_channel_request_pty_ex(ch.get(), opts.term.c_str(),
                                                     static_cast<unsigned>(opts.term.size()), nullptr, 0,
                                                     ws.ws_col, ws.ws_row, 0, 0);
             }),
             "cannot allocate a remote terminal");
    watch.emplace();
  }
  if (opts.command.empty()) {
    ch.check(retry([&] { return libssh2_channel_shell(ch.get()); }), "cannot start a remote shell");
  } else {
    ch.check(retry([&] { return libssh2_channel_exec(ch.get(), opts.command.c_str()); }),
             fmt::format("cannot run `{}`", opts.command).c_str());
  }
  if (opts.pty) raw.emplace(opts.in_fd);
  Pump p{[&](std::string_view d) { write_all_fd(opts.out_fd, d); },
         [&](std::string_view d) { write_all_fd(opts.err_fd, d); }, "", opts.in_fd, opts.pty ? winch_fd : -1};
  return ch.pump(p);
}

}  // namespace machine::ssh::detail
