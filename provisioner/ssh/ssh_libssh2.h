#pragma once
// The libssh2 session behind SshSession. Internal to provisioner/ (callers use ssh.h).
// libssh2 runs non-blocking: every call is retried on EAGAIN after poll()ing the socket in the
// direction libssh2 asks for, which gives us connect/auth deadlines and keepalives in one place.
#include <libssh2.h>
#include <libssh2_sftp.h>

#include <chrono>
#include <optional>
#include <string>

#include "provisioner/ssh/ssh.h"

namespace machine::ssh::detail {

using Clock = std::chrono::steady_clock;
using Deadline = std::optional<Clock::time_point>;

class Libssh2Session final : public SshSession {
 public:
  // Connects, checks the host key and authenticates (see SshClient::connect).
  Libssh2Session(const SshEndpoint& endpoint, const SshOptions& options);
  ~Libssh2Session() override;

  int exec(const std::string& command, const ExecIo& io) override;
  int shell(const ShellOptions& opts) override;
  std::optional<RemoteFileInfo> stat(const std::string& path) override;
  std::vector<RemoteDirEntry> list_dir(const std::string& path) override;
  void make_dir(const std::string& path, std::uint32_t mode) override;
  void set_attributes(const std::string& path, std::uint32_t mode,
                      std::optional<std::int64_t> mtime) override;
  std::unique_ptr<RemoteReader> open_read(const std::string& path) override;
  std::unique_ptr<RemoteWriter> open_write(const std::string& path, std::uint32_t mode) override;
  HostKey host_key() const override { return host_key_; }

  LIBSSH2_SESSION* raw() const { return session_; }
  int socket_fd() const { return sock_; }
  // Waits until the socket is ready in the direction libssh2 is blocked on, sending keepalives.
  // Throws Error(Unavailable) once deadline has passed.
  void wait_socket(Deadline deadline);
  // Calls f() until it stops returning LIBSSH2_ERROR_EAGAIN.
  template <typename F>
  int retry(F&& f, Deadline deadline = std::nullopt) {
    for (;;) {
      int rc = f();
      if (rc != LIBSSH2_ERROR_EAGAIN) return rc;
      wait_socket(deadline);
    }
  }
  // Sends an SSH keepalive when due; returns milliseconds until the next one (-1: disabled).
  int keepalive();
  // libssh2's last error message, e.g. "Unable to send FXP_OPEN*".
  std::string last_error() const;
  // The SFTP subsystem, started on first use.
  LIBSSH2_SFTP* sftp();
  // Throws an Error for a failed SFTP call on path (mapping NO_SUCH_FILE to NotFound).
  [[noreturn]] void fail_sftp(const std::string& what, const std::string& path, int rc);
  // "host:port" or the machine name, for messages.
  const std::string& peer() const { return peer_; }

 private:
  void open_socket();
  void handshake();
  void authenticate();
  void close_quietly();

  SshEndpoint endpoint_;
  SshOptions options_;
  std::string peer_;
  int sock_ = -1;
  LIBSSH2_SESSION* session_ = nullptr;
  LIBSSH2_SFTP* sftp_ = nullptr;
  HostKey host_key_;
};

}  // namespace machine::ssh::detail
