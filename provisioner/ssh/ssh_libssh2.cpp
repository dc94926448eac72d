#include "provisioner/ssh/ssh_libssh2.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>

#include "machine/cancel.h"
#include "machine/error.h"

namespace machine::ssh::detail {
namespace {

void init_libssh2_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (libssh2_init(0) != 0) fail(Code::Internal, "cannot initialise libssh2");
  });
}

constexpr int kCancelSliceMs = 250;

int remaining_ms(Deadline deadline) {
  if (!deadline) return -1;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

// Host-key algorithms libssh2 1.10 can verify, in our order of preference.
constexpr const char* kHostKeyAlgorithms[] = {"ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
                                              "ecdsa-sha2-nistp521", "ssh-rsa"};

constexpr const char* kRsaHint =
    " (libssh2 1.10 signs RSA keys with SHA-1 only, which OpenSSH 8.8 and later refuse by default; "
    "use an ed25519 or ECDSA key)";

// RSA keys are worth a hint when refused; see kRsaHint.
bool is_rsa_key(const std::string& key, const std::string& pub) {
  std::ifstream p(pub);
  std::string type;
  if (p >> type) return type == "ssh-rsa";
  std::ifstream k(key);
  std::string first;
  std::getline(k, first);
  return first.find("RSA PRIVATE KEY") != std::string::npos;
}

void set_tcp_options(int fd, std::chrono::seconds keepalive) {
  int one = 1;
  // Interactive exec latency matters more than packet count here.
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (keepalive.count() <= 0) return;
  int idle = static_cast<int>(keepalive.count()), count = 4;
  ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &idle, sizeof idle);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
}

}  // namespace

Libssh2Session::Libssh2Session(const SshEndpoint& endpoint, const SshOptions& options)
    : endpoint_(endpoint), options_(options) {
  init_libssh2_once();
  std::string where = known_hosts_name(endpoint.host, endpoint.port);
  peer_ = options.machine_name.empty() ? where : fmt::format("'{}' ({})", options.machine_name, where);
  if (endpoint.user.empty()) fail(Code::InvalidArgument, fmt::format("no ssh user for {}", peer_));
  if (!std::filesystem::exists(endpoint.private_key))
    fail(Code::NotFound,
         fmt::format("ssh key {} for {} does not exist", endpoint.private_key.string(), peer_));
  try {
    open_socket();
    handshake();
    authenticate();
  } catch (...) {
    close_quietly();
    throw;
  }
}

Libssh2Session::~Libssh2Session() { close_quietly(); }

void Libssh2Session::close_quietly() {
  // Best effort with a short deadline: a dead peer must not hang the destructor.
  Deadline soon = Clock::now() + std::chrono::seconds(2);
  try {
    if (sftp_) retry([&] { return libssh2_sftp_shutdown(sftp_); }, soon);
  } catch (const Error&) {
  }
  sftp_ = nullptr;
  if (session_) {
    try {
      retry([&] { return libssh2_session_disconnect(session_, "bye"); }, soon);
    } catch (const Error&) {
    }
    libssh2_session_free(session_);
    session_ = nullptr;
  }
  if (sock_ >= 0) ::close(sock_);
  sock_ = -1;
}

void Libssh2Session::open_socket() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string port = std::to_string(endpoint_.port);
  int gai = ::getaddrinfo(endpoint_.host.c_str(), port.c_str(), &hints, &res);
  if (gai != 0)
    fail(Code::Unavailable, fmt::format("cannot resolve {}: {}", endpoint_.host, ::gai_strerror(gai)));
  std::string last = "no address";
  Deadline deadline = Clock::now() + options_.connect_timeout;
  for (addrinfo* ai = res; ai && sock_ < 0; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) continue;
    int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      int n;
      do n = ::poll(&p, 1, remaining_ms(deadline));
      while (n < 0 && errno == EINTR);
      int err = 0;
      socklen_t len = sizeof err;
      if (n == 0) {
        err = ETIMEDOUT;
      } else {
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      }
      rc = err == 0 ? 0 : -1;
      errno = err;
    }
    if (rc == 0) {
      sock_ = fd;
    } else {
      last = std::strerror(errno);
      ::close(fd);
    }
  }
  ::freeaddrinfo(res);
  if (sock_ < 0)
    fail(Code::Unavailable, fmt::format("cannot connect to ssh on {}: {}",
                                        known_hosts_name(endpoint_.host, endpoint_.port), last));
  set_tcp_options(sock_, options_.keepalive_interval);
}

void Libssh2Session::handshake() {
  session_ = libssh2_session_init();
  if (!session_) fail(Code::Internal, "cannot create libssh2 session");
  libssh2_session_set_blocking(session_, 0);

  // Offer only the algorithms of keys we pinned, so the server shows us one we can check.
  auto pinned = pinned_host_keys(endpoint_.known_hosts, endpoint_.host, endpoint_.port);
  std::string prefs;
  for (const char* alg : kHostKeyAlgorithms) {
    bool have = std::any_of(pinned.begin(), pinned.end(), [&](const HostKey& k) { return k.type == alg; });
    if (pinned.empty() || have) prefs += (prefs.empty() ? "" : ",") + std::string(alg);
  }
  if (!prefs.empty()) libssh2_session_method_pref(session_, LIBSSH2_METHOD_HOSTKEY, prefs.c_str());
  // The cipher that costs an emulated guest least among libssh2 1.10's (it has no AES-GCM or
  // chacha20-poly1305): AES-128-CTR, 10 rounds against AES-256's 14 (bench/results/scp.txt).
  // CBC modes and 3DES are not offered at all.
  for (auto dir : {LIBSSH2_METHOD_CRYPT_CS, LIBSSH2_METHOD_CRYPT_SC})
    libssh2_session_method_pref(session_, dir, "aes128-ctr,aes192-ctr,aes256-ctr");

  Deadline deadline = Clock::now() + options_.auth_timeout;
  int rc = retry([&] { return libssh2_session_handshake(session_, sock_); }, deadline);
  if (rc != 0) fail(Code::Unavailable, fmt::format("ssh handshake with {} failed: {}", peer_, last_error()));

  size_t len = 0;
  int type = 0;
  const char* blob = libssh2_session_hostkey(session_, &len, &type);
  if (!blob) fail(Code::Unavailable, fmt::format("ssh server {} sent no host key", peer_));
  host_key_ = host_key_from_blob(std::string_view(blob, len));
  verify_host_key(endpoint_.known_hosts, endpoint_.host, endpoint_.port, host_key_, options_.host_key_policy,
                  options_.machine_name);
}

void Libssh2Session::authenticate() {
  Deadline deadline = Clock::now() + options_.auth_timeout;
  std::string key = endpoint_.private_key.string();
  std::string pub = key + ".pub";
  bool have_pub = std::filesystem::exists(pub);
  int rc = retry(
      [&] {
        return libssh2_userauth_publickey_fromfile_ex(session_, endpoint_.user.c_str(),
                                                      static_cast<unsigned>(endpoint_.user.size()),
                                                      have_pub ? pub.c_str() : nullptr, key.c_str(), "");
      },
      deadline);
  if (rc == 0) {
    // Only once authenticated: some servers treat global requests before that as errors.
    if (options_.keepalive_interval.count() > 0)
      libssh2_keepalive_config(session_, 1, static_cast<unsigned>(options_.keepalive_interval.count()));
    return;
  }
  if (rc == LIBSSH2_ERROR_FILE)
    fail(Code::InvalidArgument, fmt::format("cannot use ssh key {}: {}", key, last_error()));
  if (rc == LIBSSH2_ERROR_AUTHENTICATION_FAILED || rc == LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED)
    fail(Code::FailedPrecondition, fmt::format("ssh server {} refused key {} for user '{}'{}", peer_, key,
                                               endpoint_.user, is_rsa_key(key, pub) ? kRsaHint : ""));
  fail(Code::Unavailable, fmt::format("ssh authentication with {} failed: {}", peer_, last_error()));
}

int Libssh2Session::keepalive() {
  if (options_.keepalive_interval.count() <= 0) return -1;
  int next = 0;
  // A failure here surfaces on the next read or write with a better message.
  if (libssh2_keepalive_send(session_, &next) != 0) return 1000;
  return std::max(next, 1) * 1000;
}

void Libssh2Session::wait_socket(Deadline deadline) {
  int dir = libssh2_session_block_directions(session_);
  pollfd p{sock_, 0, 0};
  if (dir & LIBSSH2_SESSION_BLOCK_INBOUND) p.events |= POLLIN;
  if (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND) p.events |= POLLOUT;
  if (p.events == 0) p.events = POLLIN;
  for (;;) {
    int timeout = keepalive();
    int left = remaining_ms(deadline);
    if (left >= 0 && (timeout < 0 || left < timeout)) timeout = left;
    // Short slices so Ctrl-C (machine/cancel.h) interrupts a wait on a silent peer promptly.
    if (timeout < 0 || timeout > kCancelSliceMs) timeout = kCancelSliceMs;
    int n = ::poll(&p, 1, timeout);
    throw_if_cancelled();
    if (n > 0) return;
    if (n < 0 && errno != EINTR)
      fail(Code::Unavailable, fmt::format("ssh connection to {} failed: {}", peer_, std::strerror(errno)));
    if (deadline && Clock::now() >= *deadline)
      fail(Code::Unavailable, fmt::format("ssh server {} did not answer in time", peer_));
  }
}

std::string Libssh2Session::last_error() const {
  char* msg = nullptr;
  int len = 0;
  libssh2_session_last_error(session_, &msg, &len, 0);
  return msg ? std::string(msg, static_cast<size_t>(len)) : "unknown error";
}

LIBSSH2_SFTP* Libssh2Session::sftp() {
  Deadline deadline = Clock::now() + options_.auth_timeout;
  while (!sftp_) {
    sftp_ = libssh2_sftp_init(session_);
    if (sftp_) break;
    if (libssh2_session_last_errno(session_) != LIBSSH2_ERROR_EAGAIN)
      fail(Code::Unavailable, fmt::format("cannot start sftp on {}: {}", peer_, last_error()));
    wait_socket(deadline);
  }
  return sftp_;
}

void Libssh2Session::fail_sftp(const std::string& what, const std::string& path, int rc) {
  if (rc == LIBSSH2_ERROR_SFTP_PROTOCOL && sftp_) {
    unsigned long status = libssh2_sftp_last_error(sftp_);
    switch (status) {
      case LIBSSH2_FX_NO_SUCH_FILE:
      case LIBSSH2_FX_NO_SUCH_PATH:
        fail(Code::NotFound, fmt::format("{} {} on {}: no such file or directory", what, path, peer_));
      case LIBSSH2_FX_PERMISSION_DENIED:
        fail(Code::FailedPrecondition, fmt::format("{} {} on {}: permission denied", what, path, peer_));
      case LIBSSH2_FX_FILE_ALREADY_EXISTS:
        fail(Code::AlreadyExists, fmt::format("{} {} on {}: file exists", what, path, peer_));
      case LIBSSH2_FX_NO_SPACE_ON_FILESYSTEM:
      case LIBSSH2_FX_QUOTA_EXCEEDED:
        fail(Code::Internal, fmt::format("{} {} on {}: no space left", what, path, peer_));
      default:
        fail(Code::Internal, fmt::format("{} {} on {}: sftp status {}", what, path, peer_, status));
    }
  }
  fail(Code::Unavailable, fmt::format("{} {} on {}: {}", what, path, peer_, last_error()));
}

namespace {

class Libssh2Client final : public SshClient {
 public:
  std::unique_ptr<SshSession> connect(const SshEndpoint& endpoint, const SshOptions& options) override {
    return std::make_unique<Libssh2Session>(endpoint, options);
  }
};

}  // namespace
}  // namespace machine::ssh::detail

namespace machine::ssh {

std::unique_ptr<SshClient> make_libssh2_client() { return std::make_unique<detail::Libssh2Client>(); }

}  // namespace machine::ssh
