// The non-virtual helpers of SshSession and wait_for_ssh: built only on the interface, so they
// work the same for libssh2 and for test fakes.
#include <fmt/format.h>

#include <thread>

#include "machine/cancel.h"
#include "machine/error.h"
#include "provisioner/ssh/ssh.h"

namespace machine::ssh {

ExecResult SshSession::run(const std::string& command, std::optional<std::string> stdin_data) {
  ExecResult result;
  ExecIo io;
  io.on_stdout = [&](std::string_view d) { result.out.append(d); };
  io.on_stderr = [&](std::string_view d) { result.err.append(d); };
  io.stdin_data = std::move(stdin_data);
  result.exit_code = exec(command, io);
  return result;
}

void SshSession::write_file(const std::string& path, std::string_view content, std::uint32_t mode) {
  auto writer = open_write(path, mode);
  writer->write(content);
  writer->close();
  set_attributes(path, mode, std::nullopt);  // the server's umask applied at create
}

std::string SshSession::read_file(const std::string& path) {
  auto reader = open_read(path);
  std::string content;
  char buf[64 * 1024];
  while (std::size_t n = reader->read(buf, sizeof buf)) content.append(buf, n);
  return content;
}

std::string shell_quote(std::string_view s) {
  if (!s.empty() &&
      s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%_-+=:,./") ==
          std::string_view::npos)
    return std::string(s);
  std::string q = "'";
  for (char c : s) {
    if (c == '\'')
      q += "'\\''";
    else
      q += c;
  }
  return q + "'";
}

std::unique_ptr<SshSession> wait_for_ssh(SshClient& client, const SshEndpoint& endpoint,
                                         std::chrono::milliseconds timeout, const SshOptions& options) {
  using Clock = std::chrono::steady_clock;
  auto deadline = Clock::now() + timeout;
  auto pause = std::chrono::milliseconds(100);
  std::string last;
  for (;;) {
    SshOptions attempt = options;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    // Each attempt is bounded by what is left, so the whole wait honours the timeout.
    attempt.connect_timeout =
        std::max(std::min(options.connect_timeout, left), std::chrono::milliseconds(100));
    attempt.auth_timeout = std::max(std::min(options.auth_timeout, left), std::chrono::milliseconds(100));
    try {
      return client.connect(endpoint, attempt);
    } catch (const HostKeyError&) {
      throw;  // a wrong key does not fix itself by waiting
    } catch (const Error& e) {
      // Unavailable: not up yet. FailedPrecondition: key not installed yet (first boot).
      if (e.code() != Code::Unavailable && e.code() != Code::FailedPrecondition) throw;
      last = e.what();
    }
    if (Clock::now() + pause >= deadline) break;
    throw_if_cancelled();
    std::this_thread::sleep_for(pause);
    throw_if_cancelled();
    pause = std::min(pause * 2, std::chrono::milliseconds(1000));
  }
  std::string who = options.machine_name.empty() ? known_hosts_name(endpoint.host, endpoint.port)
                                                 : "'" + options.machine_name + "'";
  fail(Code::Unavailable,
       fmt::format("ssh on {} did not become ready within {}s: {}", who,
                   std::chrono::duration_cast<std::chrono::seconds>(timeout).count(), last));
}

std::unique_ptr<SshSession> wait_for_ssh(const SshEndpoint& endpoint, std::chrono::milliseconds timeout,
                                         const SshOptions& options) {
  auto client = make_libssh2_client();
  return wait_for_ssh(*client, endpoint, timeout, options);
}

}  // namespace machine::ssh
