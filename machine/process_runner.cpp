#include "machine/process_runner.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

// clang-format off
#include <utility>  // before Boost 1.74's asio, which uses std::exchange without it
#include <boost/asio.hpp>
#include <boost/process.hpp>
#include <boost/process/extend.hpp>
// clang-format on
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "machine/debug_log.h"
#include "machine/error.h"

namespace bp = boost::process;

namespace machine {
namespace {

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

bp::environment make_env(const Command& cmd) {
  bp::environment env = boost::this_process::environment();
  for (const auto& [k, v] : cmd.env) env[k] = v;
  return env;
}

// In the child, after the std* redirections: every other descriptor closes on exec, so
// children never inherit our sockets and pipes (mmdebstrap's apt relies on fd numbers;
// Boost 1.74's limit_handles also closes its own async pipes, so it cannot be used).
struct CloseInheritedFds : bp::extend::handler {
  template <typename Executor>
  void on_exec_setup(Executor&) const {
    for (int fd = 3; fd < 4096; ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    ::signal(SIGPIPE, SIG_DFL);  // an ignored signal would stay ignored across exec
  }
};

// Writing stdin_data to a child that exits without reading it must be an EPIPE error for
// that write, not a SIGPIPE that kills us silently. Children get the default back.
void ignore_sigpipe_once() {
  static const bool done = [] {
    ::signal(SIGPIPE, SIG_IGN);
    return true;
  }();
  (void)done;
}

class SystemProcessRunner final : public ProcessRunner {
 public:
  ProcessResult run(const Command& cmd) override {
    ignore_sigpipe_once();
    auto exe = resolve(cmd.program);
    const auto started = std::chrono::steady_clock::now();
    debug::logf("executing: {}", cmd.to_string());
    boost::asio::io_context ios;
    std::future<std::string> out, err;
    bp::async_pipe in_pipe(ios);
    ProcessResult result;
    std::error_code ec;
    bp::child child;
    auto env = make_env(cmd);
    auto dir = cmd.working_dir.empty() ? std::filesystem::current_path() : cmd.working_dir;
    if (cmd.stdin_data) {
      child = bp::child(exe.string(), bp::args(cmd.args), env, bp::start_dir(dir.string()), bp::std_out > out,
                        bp::std_err > err, bp::std_in < in_pipe, ios, CloseInheritedFds{}, ec);
    } else {
      child = bp::child(exe.string(), bp::args(cmd.args), env, bp::start_dir(dir.string()), bp::std_out > out,
                        bp::std_err > err, bp::std_in < bp::null, ios, CloseInheritedFds{}, ec);
    }
    if (ec) fail(Code::Internal, fmt::format("cannot start `{}`: {}", cmd.to_string(), ec.message()));
    std::string input = cmd.stdin_data.value_or("");
    if (cmd.stdin_data) {
      boost::asio::async_write(in_pipe, boost::asio::buffer(input),
                               [&](const boost::system::error_code&, std::size_t) { in_pipe.close(); });
    }
    if (cmd.timeout.count() > 0) {
      ios.run_for(cmd.timeout);
      if (!ios.stopped()) {
        result.timed_out = true;
        child.terminate(ec);
        ios.run_for(std::chrono::seconds(2));
      }
    } else {
      ios.run();
    }
    child.wait(ec);
    result.exit_code = result.timed_out ? -1 : child.exit_code();
    if (!result.timed_out && child.native_exit_code() != 0 && WIFSIGNALED(child.native_exit_code()))
      result.exit_code = -1;
    result.out =
        out.valid() && out.wait_for(std::chrono::seconds(0)) == std::future_status::ready ? out.get() : "";
    result.err =
        err.valid() && err.wait_for(std::chrono::seconds(0)) == std::future_status::ready ? err.get() : "";
    debug::logf("exit status {}{} after {} ms: {}", result.exit_code, result.timed_out ? " (timed out)" : "",
                debug::elapsed_ms(started), cmd.program);
    return result;
  }

  int spawn_detached(const Command& cmd, const std::filesystem::path& log_path) override {
    auto exe = resolve(cmd.program);
    debug::logf("starting in the background: {}", cmd.to_string());
    std::vector<std::string> argv{exe.string()};
    argv.insert(argv.end(), cmd.args.begin(), cmd.args.end());
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    // The log is opened before fork so it exists when we return and errors are ours.
    int log = -1;
    if (!log_path.empty()) {
      log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
      if (log < 0)
        fail(Code::Internal, fmt::format("cannot open {}: {}", log_path.string(), std::strerror(errno)));
    }
    // Returns only once the child has exec'd (the close-on-exec pipe reads EOF), so callers
    // can recognise it by its command line at once; an exec failure comes back as an error.
    int status_pipe[2];
    if (::pipe2(status_pipe, O_CLOEXEC) != 0) {
      if (log >= 0) ::close(log);
      fail(Code::Internal, "cannot create a pipe: " + std::string(std::strerror(errno)));
    }
    pid_t pid = ::fork();
    if (pid < 0) {
      if (log >= 0) ::close(log);
      ::close(status_pipe[0]);
      ::close(status_pipe[1]);
      fail(Code::Internal, "cannot fork: " + std::string(std::strerror(errno)));
    }
    if (pid == 0) {
      ::signal(SIGPIPE, SIG_DFL);
      ::setsid();
      int devnull = ::open("/dev/null", O_RDWR);
      if (log < 0) log = devnull;
      ::dup2(devnull, 0);
      ::dup2(log, 1);
      ::dup2(log, 2);
      for (int fd = 3; fd < 1024; ++fd)
        if (fd != status_pipe[1]) ::close(fd);
      int err = 0;
      if (!cmd.working_dir.empty() && ::chdir(cmd.working_dir.c_str()) != 0) err = errno;
      if (err == 0) {
        for (const auto& [k, v] : cmd.env) ::setenv(k.c_str(), v.c_str(), 1);
        ::execv(cargv[0], cargv.data());
        err = errno;
      }
      [[maybe_unused]] auto n = ::write(status_pipe[1], &err, sizeof err);
      ::_exit(127);
    }
    if (log >= 0) ::close(log);
    ::close(status_pipe[1]);
    int child_errno = 0;
    ssize_t got;
    do got = ::read(status_pipe[0], &child_errno, sizeof child_errno);
    while (got < 0 && errno == EINTR);
    ::close(status_pipe[0]);
    if (got == static_cast<ssize_t>(sizeof child_errno)) {
      ::waitpid(pid, nullptr, 0);
      fail(Code::Internal, fmt::format("cannot start `{}`: {}", cmd.to_string(), std::strerror(child_errno)));
    }
    // The pipe closes inside execve, a moment before the kernel sets up the new argument area
    // (/proc/PID/cmdline reads empty until then).
    for (int i = 0; i < 1000; ++i) {
      std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
      if (!in || in.peek() != std::ifstream::traits_type::eof()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return pid;
  }

  std::optional<std::filesystem::path> find_program(const std::string& name) override {
    if (name.find('/') != std::string::npos) {
      if (::access(name.c_str(), X_OK) == 0) return std::filesystem::path(name);
      return std::nullopt;
    }
    auto p = bp::search_path(name);
    if (p.empty()) return std::nullopt;
    return std::filesystem::path(p.string());
  }

 private:
  std::filesystem::path resolve(const std::string& program) {
    auto p = find_program(program);
    if (!p) fail(Code::NotFound, fmt::format("cannot find program '{}' in PATH", program));
    return *p;
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
