#include "machine/process_runner.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <thread>

#include "machine/debug_log.h"
#include "machine/error.h"
#include "machine/run_attached.h"

extern char** environ;

namespace machine {
namespace {
using Clock = std::chrono::steady_clock;

std::string quote(const std::string& s) {
  if (!s.empty() && s.find_first_of(" \t\n'\"\\$`") == std::string::npos) return s;
  std::string q = "'";
  for (char c : s) q += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

// Writing stdin_data to a child that exits without reading it must be an EPIPE error for
// that write, not a SIGPIPE that kills us silently. Children get the default back.
void ignore_sigpipe_once() {
  static const bool done = [] {
    ::signal(SIGPIPE, SIG_IGN);
    return true;
  }();
  (void)done;
}

std::optional<std::filesystem::path> search_path(const std::string& name) {
  if (name.empty()) return std::nullopt;
  if (name.find('/') != std::string::npos) {
    if (::access(name.c_str(), X_OK) == 0) return std::filesystem::path(name);
    return std::nullopt;
  }
  const char* env = std::getenv("PATH");
  std::string path = env ? env : "/usr/local/bin:/usr/bin:/bin";
  for (size_t begin = 0;;) {
    auto end = path.find(':', begin);
    std::string dir = path.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
    auto candidate = std::filesystem::path(dir.empty() ? "." : dir) / name;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0)
      return candidate;
    if (end == std::string::npos) return std::nullopt;
    begin = end + 1;
  }
}

std::filesystem::path resolve(const std::string& program) {
  auto p = search_path(program);
  if (!p) fail(Code::NotFound, fmt::format("cannot find program '{}' in PATH", program));
  return *p;
}

// How a child relates to us (ProcessRunner::run, spawn_detached, run_attached).
enum class Mode {
  Captured,  // our session; stdio are the pipes/files given
  Detached,  // its own session, outliving us
  Attached,  // our terminal; SIGINT/SIGQUIT reach it, not us
};

struct ChildIo {
  int in = 0, out = 1, err = 2;
};

// The one place a child process is made: argv and environment are prepared before fork
// (nothing after fork allocates), then in the child SIGPIPE/SIGINT/SIGQUIT go back to their
// defaults (an ignored signal would stay ignored across exec), a detached child gets its own
// session, stdio become `io` and every other descriptor closes on exec, so children never
// inherit our sockets and pipes. Returns once the child has exec'd (a close-on-exec status
// pipe reads EOF); an exec or chdir failure throws Error(Internal).
pid_t start_child(const std::filesystem::path& exe, const Command& cmd, Mode mode, ChildIo io) {
  std::vector<std::string> args{exe.string()};
  args.insert(args.end(), cmd.args.begin(), cmd.args.end());
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    auto key = std::string(kv.substr(0, kv.find('=')));
    if (!cmd.env.count(key)) env.emplace_back(kv);
  }
  for (const auto& [k, v] : cmd.env) env.push_back(k + "=" + v);
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string dir = cmd.working_dir.string();

  int status_pipe[2];
  if (::pipe2(status_pipe, O_CLOEXEC) != 0)
    fail(Code::Internal, "cannot create a pipe: " + std::string(std::strerror(errno)));
  pid_t pid = ::fork();
  if (pid < 0) {
    int err = errno;
    ::close(status_pipe[0]);
    ::close(status_pipe[1]);
    fail(Code::Internal, "cannot fork: " + std::string(std::strerror(err)));
  }
  if (pid == 0) {
    for (int sig : {SIGPIPE, SIGINT, SIGQUIT}) ::signal(sig, SIG_DFL);
    if (mode == Mode::Detached) ::setsid();
    // Targets 0-2 first through fresh copies, so io.out == 1 or io.err == io.out both work.
    int in = ::fcntl(io.in, F_DUPFD_CLOEXEC, 3), out = ::fcntl(io.out, F_DUPFD_CLOEXEC, 3),
        err = ::fcntl(io.err, F_DUPFD_CLOEXEC, 3);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    long max_fd = ::sysconf(_SC_OPEN_MAX);
    if (max_fd < 0 || max_fd > 65536) max_fd = 65536;
    for (int fd = 3; fd < max_fd; ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    int error = 0;
    if (!dir.empty() && ::chdir(dir.c_str()) != 0) error = errno;
    if (error == 0) {
      ::execve(argv[0], argv.data(), envp.data());
      error = errno;
    }
    [[maybe_unused]] auto n = ::write(status_pipe[1], &error, sizeof error);
    ::_exit(127);
  }
  ::close(status_pipe[1]);
  int child_errno = 0;
  ssize_t got;
  do got = ::read(status_pipe[0], &child_errno, sizeof child_errno);
  while (got < 0 && errno == EINTR);
  ::close(status_pipe[0]);
  if (got == static_cast<ssize_t>(sizeof child_errno)) {
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    fail(Code::Internal, fmt::format("cannot start `{}`: {}", cmd.to_string(), std::strerror(child_errno)));
  }
  return pid;
}

int open_or_fail(const char* path, int flags, mode_t mode = 0) {
  int fd = ::open(path, flags | O_CLOEXEC, mode);
  if (fd < 0) fail(Code::Internal, fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  return fd;
}

struct Pipe {
  int fd[2] = {-1, -1};
  Pipe() {
    if (::pipe2(fd, O_CLOEXEC) != 0)
      fail(Code::Internal, "cannot create a pipe: " + std::string(std::strerror(errno)));
  }
  ~Pipe() {
    for (int f : fd) close_end(f);
  }
  static void close_end(int& f) {
    if (f >= 0) ::close(f);
    f = -1;
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
};

int wait_status(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

class SystemProcessRunner final : public ProcessRunner {
 public:
  ProcessResult run(const Command& cmd) override {
    ignore_sigpipe_once();
    auto exe = resolve(cmd.program);
    const auto started = std::chrono::steady_clock::now();
    debug::logf("executing: {}", cmd.to_string());
    Pipe out, err, in;
    int devnull = open_or_fail("/dev/null", O_RDONLY);
    pid_t pid;
    try {
      pid =
          start_child(exe, cmd, Mode::Captured, {cmd.stdin_data ? in.fd[0] : devnull, out.fd[1], err.fd[1]});
    } catch (...) {
      ::close(devnull);
      throw;
    }
    ::close(devnull);
    Pipe::close_end(in.fd[0]);
    Pipe::close_end(out.fd[1]);
    Pipe::close_end(err.fd[1]);
    if (!cmd.stdin_data) Pipe::close_end(in.fd[1]);
    for (int fd : {in.fd[1], out.fd[0], err.fd[0]})
      if (fd >= 0) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);

    ProcessResult result;
    std::string_view input = cmd.stdin_data ? std::string_view(*cmd.stdin_data) : std::string_view();
    bool limited = cmd.timeout.count() > 0;
    auto deadline = Clock::now() + cmd.timeout;
    // After a timeout kill, what is left in the pipes is read for 2 s at most (a grandchild
    // may hold them open).
    auto drain_deadline = Clock::time_point::max();
    while (out.fd[0] >= 0 || err.fd[0] >= 0) {
      pollfd p[3];
      int n = 0;
      if (out.fd[0] >= 0) p[n++] = {out.fd[0], POLLIN, 0};
      if (err.fd[0] >= 0) p[n++] = {err.fd[0], POLLIN, 0};
      if (in.fd[1] >= 0) p[n++] = {in.fd[1], POLLOUT, 0};
      int wait_ms = -1;
      auto until = result.timed_out ? drain_deadline : limited ? deadline : Clock::time_point::max();
      if (until != Clock::time_point::max()) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
        wait_ms = left < 0 ? 0 : static_cast<int>(left);
      }
      int r = ::poll(p, static_cast<nfds_t>(n), wait_ms);
      if (r < 0 && errno == EINTR) continue;
      if (r == 0) {
        if (result.timed_out) break;
        result.timed_out = true;
        ::kill(pid, SIGKILL);
        drain_deadline = Clock::now() + std::chrono::seconds(2);
        continue;
      }
      for (int i = 0; i < n; ++i) {
        if (!p[i].revents) continue;
        if (p[i].fd == in.fd[1]) {
          ssize_t w = ::write(in.fd[1], input.data(), input.size());
          if (w > 0) input.remove_prefix(static_cast<size_t>(w));
          if ((w < 0 && errno != EAGAIN && errno != EINTR) || input.empty()) Pipe::close_end(in.fd[1]);
          continue;
        }
        char buf[65536];
        ssize_t k = ::read(p[i].fd, buf, sizeof buf);
        if (k < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        auto& fd = p[i].fd == out.fd[0] ? out.fd[0] : err.fd[0];
        if (k <= 0) {
          Pipe::close_end(fd);
          continue;
        }
        (p[i].fd == out.fd[0] ? result.out : result.err).append(buf, static_cast<size_t>(k));
      }
    }
    Pipe::close_end(in.fd[1]);
    // The child closed its output; it may still run (until the deadline).
    int status = 0;
    for (;;) {
      pid_t w = ::waitpid(pid, &status, limited && !result.timed_out ? WNOHANG : 0);
      if (w < 0 && errno == EINTR) continue;
      if (w != 0) break;
      if (Clock::now() >= deadline) {
        result.timed_out = true;
        ::kill(pid, SIGKILL);
        status = wait_status(pid);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    result.exit_code = !result.timed_out && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    debug::logf("exit status {}{} after {} ms: {}", result.exit_code, result.timed_out ? " (timed out)" : "",
                debug::elapsed_ms(started), cmd.program);
    return result;
  }

  int spawn_detached(const Command& cmd, const std::filesystem::path& log_path) override {
    auto exe = resolve(cmd.program);
    debug::logf("starting in the background: {}", cmd.to_string());
    // The log is opened first so it exists when we return and errors are ours.
    int devnull = open_or_fail("/dev/null", O_RDWR);
    int log = devnull;
    try {
      if (!log_path.empty()) log = open_or_fail(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    } catch (...) {
      ::close(devnull);
      throw;
    }
    pid_t pid = -1;
    try {
      pid = start_child(exe, cmd, Mode::Detached, {devnull, log, log});
    } catch (...) {
      if (log != devnull) ::close(log);
      ::close(devnull);
      throw;
    }
    if (log != devnull) ::close(log);
    ::close(devnull);
    // The status pipe closes inside execve, a moment before the kernel sets up the new
    // argument area (/proc/PID/cmdline reads empty until then): callers recognise the
    // child by its command line at once.
    for (int i = 0; i < 1000; ++i) {
      std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
      if (!in || in.peek() != std::ifstream::traits_type::eof()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return pid;
  }

  std::optional<std::filesystem::path> find_program(const std::string& name) override {
    return search_path(name);
  }
};

}  // namespace

std::string Command::to_string() const {
  std::string s = quote(program);
  for (const auto& a : args) s += " " + quote(a);
  return s;
}

std::unique_ptr<ProcessRunner> make_system_process_runner() {
  return std::make_unique<SystemProcessRunner>();
}

int run_attached(const Command& cmd, int in_fd, int out_fd, int err_fd) {
  auto exe = resolve(cmd.program);
  // As system(3) does: while the child runs, Ctrl-C and Ctrl-\ are for it alone.
  struct sigaction ignore {
  }, old_int{}, old_quit{};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  ::sigaction(SIGINT, &ignore, &old_int);
  ::sigaction(SIGQUIT, &ignore, &old_quit);
  auto restore = [&] {
    ::sigaction(SIGINT, &old_int, nullptr);
    ::sigaction(SIGQUIT, &old_quit, nullptr);
  };
  int status = 0;
  try {
    status = wait_status(start_child(exe, cmd, Mode::Attached, {in_fd, out_fd, err_fd}));
  } catch (...) {
    restore();
    throw;
  }
  restore();
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

ProcessResult run_checked(ProcessRunner& runner, const Command& cmd, const std::string& what) {
  ProcessResult r = runner.run(cmd);
  if (r.timed_out) {
    fail(Code::Unavailable,
         fmt::format("{} timed out after {} ms: `{}`", what, cmd.timeout.count(), cmd.to_string()));
  }
  if (r.exit_code != 0) {
    std::string err = trim(r.err.empty() ? r.out : r.err);
    if (err.size() > 2000) err = "..." + err.substr(err.size() - 2000);
    fail(Code::Internal, fmt::format("{} failed: `{}` exited with status {}{}{}", what, cmd.to_string(),
                                     r.exit_code, err.empty() ? "" : ": ", err));
  }
  return r;
}

std::filesystem::path require_program(ProcessRunner& runner, const std::string& program,
                                      const std::string& debian_package) {
  auto p = runner.find_program(program);
  if (!p) {
    fail(Code::FailedPrecondition,
         fmt::format("'{}' not found: install it with `apt-get install {}`", program, debian_package));
  }
  return *p;
}

}  // namespace machine
