#pragma once
// The SSH seam. The provisioner and the CLI see only SshClient / SshSession; libssh2 is the
// implementation (make_libssh2_client). A session is one authenticated connection whose host key
// was checked against the machine's known_hosts; it is not thread-safe.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "provisioner/ssh/known_hosts.h"

namespace machine::ssh {

// Where and as whom to log in; drivers return one (Driver::ssh_endpoint()).
struct SshEndpoint {
  std::string host;
  int port = 22;
  std::string user;
  std::filesystem::path private_key;  // OpenSSH/PEM private key, mode 0600
  std::filesystem::path known_hosts;  // the machine's pinned host keys (OpenSSH format)
};

struct SshOptions {
  std::string machine_name;  // named in errors, e.g. in a host-key mismatch
  HostKeyPolicy host_key_policy = HostKeyPolicy::Pinned;
  std::chrono::milliseconds connect_timeout{10'000};  // TCP connect
  std::chrono::milliseconds auth_timeout{15'000};     // banner + key exchange + authentication
  std::chrono::seconds keepalive_interval{15};        // SSH and TCP keepalives; 0 disables
};

using OutputCallback = std::function<void(std::string_view chunk)>;

// Streams of one remote command. Callbacks run on the calling thread as data arrives.
struct ExecIo {
  OutputCallback on_stdout;               // empty = discard
  OutputCallback on_stderr;               // empty = discard
  std::optional<std::string> stdin_data;  // sent, then EOF
  int stdin_fd = -1;                      // else streamed from this fd until EOF; -1 = EOF at once
};

struct ExecResult {
  int exit_code = -1;
  std::string out;
  std::string err;
  bool ok() const { return exit_code == 0; }
};

// An interactive session on local file descriptors (normally the terminal).
struct ShellOptions {
  int in_fd = 0;
  int out_fd = 1;
  int err_fd = 2;
  bool pty = true;             // request a PTY; in_fd is put in raw mode while the shell runs if a tty
  std::string term = "xterm";  // TERM for the PTY (callers pass $TERM)
  std::string command;         // empty = login shell; else run this command on the PTY
};

struct RemoteFileInfo {
  enum class Type { File, Directory, Symlink, Other };
  Type type = Type::Other;
  std::uint64_t size = 0;
  std::uint32_t mode = 0;  // permission bits (07777)
  std::int64_t mtime = 0;  // seconds since the epoch
};

struct RemoteDirEntry {
  std::string name;
  RemoteFileInfo info;  // of the entry itself (symlinks not followed)
};

// A remote file open for reading.
class RemoteReader {
 public:
  RemoteReader() = default;
  RemoteReader(const RemoteReader&) = delete;
  RemoteReader& operator=(const RemoteReader&) = delete;
  virtual ~RemoteReader() = default;
  // Reads up to size bytes; returns 0 only at end of file. Throws Error(Unavailable/Internal).
  virtual std::size_t read(char* buffer, std::size_t size) = 0;
};

// A remote file open for writing (created or truncated).
class RemoteWriter {
 public:
  RemoteWriter() = default;
  RemoteWriter(const RemoteWriter&) = delete;
  RemoteWriter& operator=(const RemoteWriter&) = delete;
  virtual ~RemoteWriter() = default;
  // Writes all of data or throws.
  virtual void write(std::string_view data) = 0;
  // Flushes and closes; must be called for the data to count (the destructor closes silently).
  virtual void close() = 0;
};

class SshSession {
 public:
  SshSession() = default;
  SshSession(const SshSession&) = delete;
  SshSession& operator=(const SshSession&) = delete;
  virtual ~SshSession() = default;

  // Runs command through the remote user's shell and returns its exit status (255 when it died
  // by a signal or reported none). Output is streamed to io's callbacks. Throws Error(Unavailable)
  // when the connection fails.
  virtual int exec(const std::string& command, const ExecIo& io) = 0;

  // Runs an interactive shell (or opts.command) on opts' descriptors until the remote side
  // exits; with a PTY, local window-size changes (SIGWINCH) are forwarded. Returns the exit status.
  virtual int shell(const ShellOptions& opts) = 0;

  // SFTP: metadata of path following symlinks; nullopt when it does not exist.
  virtual std::optional<RemoteFileInfo> stat(const std::string& path) = 0;
  // SFTP: the entries of a directory, without "." and "..".
  virtual std::vector<RemoteDirEntry> list_dir(const std::string& path) = 0;
  // SFTP: creates a directory; idempotent (an existing directory is fine).
  virtual void make_dir(const std::string& path, std::uint32_t mode) = 0;
  // SFTP: sets permission bits and, if given, the modification time (atime = mtime).
  virtual void set_attributes(const std::string& path, std::uint32_t mode,
                              std::optional<std::int64_t> mtime) = 0;
  // SFTP: opens a file for reading. Throws Error(NotFound) when missing.
  virtual std::unique_ptr<RemoteReader> open_read(const std::string& path) = 0;
  // SFTP: creates or truncates a file with mode (subject to the server's umask).
  virtual std::unique_ptr<RemoteWriter> open_write(const std::string& path, std::uint32_t mode) = 0;

  // The server's host key (already verified against known_hosts).
  virtual HostKey host_key() const = 0;

  // exec() capturing stdout and stderr. Not virtual: built on exec().
  ExecResult run(const std::string& command, std::optional<std::string> stdin_data = std::nullopt);
  // Writes content to a remote file (created or truncated) and sets mode exactly.
  void write_file(const std::string& path, std::string_view content, std::uint32_t mode);
  // Reads a whole remote file.
  std::string read_file(const std::string& path);
};

class SshClient {
 public:
  SshClient() = default;
  SshClient(const SshClient&) = delete;
  SshClient& operator=(const SshClient&) = delete;
  virtual ~SshClient() = default;

  // Connects, verifies the host key (see verify_host_key) and authenticates with the endpoint's
  // key. Throws Error(Unavailable) when the server cannot be reached or times out,
  // Error(FailedPrecondition) for a host-key problem or refused authentication.
  virtual std::unique_ptr<SshSession> connect(const SshEndpoint& endpoint, const SshOptions& options) = 0;
};

// The libssh2 implementation.
std::unique_ptr<SshClient> make_libssh2_client();

// Retries client.connect until it succeeds or timeout passes (a booting guest refuses, resets
// or hangs up for a while); host-key problems fail at once. Returns the connected session;
// throws Error(Unavailable) with the last error on timeout.
std::unique_ptr<SshSession> wait_for_ssh(SshClient& client, const SshEndpoint& endpoint,
                                         std::chrono::milliseconds timeout, const SshOptions& options = {});
// Same with the libssh2 client.
std::unique_ptr<SshSession> wait_for_ssh(const SshEndpoint& endpoint, std::chrono::milliseconds timeout,
                                         const SshOptions& options = {});

// Quotes s for a POSIX shell ('...' with embedded quotes escaped); used to build remote commands.
std::string shell_quote(std::string_view s);

}  // namespace machine::ssh
