#include "provisioner/engine/engine_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "drivers/base.h"
#include "machine/cancel.h"
#include "machine/debug_log.h"
#include "machine/error.h"

namespace machine::engine {
namespace {
using Clock = std::chrono::steady_clock;

std::string ssl_error() {
  unsigned long e = ERR_get_error();
  if (e == 0) return "unknown TLS error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

int parse_port(const std::string& url) {
  auto pos = url.rfind(':');
  if (pos == std::string::npos) fail(Code::InvalidArgument, "URL " + url + " has no port");
  try {
    return std::stoi(url.substr(pos + 1));
  } catch (const std::exception&) {
    fail(Code::InvalidArgument, "URL " + url + " has no valid port");
  }
}

// Connects with a deadline; returns the socket.
int dial(const std::string& host, int port, Clock::time_point deadline) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res); rc != 0)
    fail(Code::Unavailable, fmt::format("cannot resolve {}: {}", host, gai_strerror(rc)));
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(res, freeaddrinfo);
  std::string last = "no address";
  for (auto* ai = res; ai; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 || errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left > 0 && ::poll(&p, 1, static_cast<int>(left)) == 1) {
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err == 0) {
          ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
          return fd;
        }
        last = std::strerror(err);
      } else {
        last = "connection timed out";
      }
    } else {
      last = std::strerror(errno);
    }
    ::close(fd);
  }
  fail(Code::Unavailable, fmt::format("cannot connect to {}:{}: {}", host, port, last));
}

void set_io_timeout(int fd, Clock::time_point deadline) {
  auto left = std::max<long>(
      1, std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now()).count());
  timeval tv{left / 1000000, left % 1000000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

std::shared_ptr<SSL_CTX> load_context(const TlsFiles& tls) {
  std::shared_ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  if (!ctx) fail(Code::Internal, "cannot create TLS context: " + ssl_error());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  if (SSL_CTX_load_verify_locations(ctx.get(), tls.ca_cert.c_str(), nullptr) != 1)
    fail(Code::FailedPrecondition, fmt::format("cannot load CA {}: {}", tls.ca_cert.string(), ssl_error()));
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), tls.client_cert.c_str()) != 1)
    fail(Code::FailedPrecondition,
         fmt::format("cannot load client certificate {}: {}", tls.client_cert.string(), ssl_error()));
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), tls.client_key.c_str(), SSL_FILETYPE_PEM) != 1)
    fail(Code::FailedPrecondition,
         fmt::format("cannot load client key {}: {}", tls.client_key.string(), ssl_error()));
  return ctx;
}

// One context per set of files for the whole process: `ls` queries every machine at once
// with the same CA and client certificate, and loading them in 50 threads mostly waits on
// OpenSSL's global locks. A file's size and mtime are in the key, so certificates that
// regenerate-certs rewrote are loaded again (the forwarder lives long).
std::shared_ptr<SSL_CTX> make_context(const TlsFiles& tls) {
  auto stamp = [](const std::filesystem::path& p) {
    std::error_code ec;
    auto size = std::filesystem::file_size(p, ec);
    auto mtime = std::filesystem::last_write_time(p, ec).time_since_epoch().count();
    return fmt::format("{}\n{}\n{}\n", p.string(), ec ? 0 : size, ec ? 0 : mtime);
  };
  std::string key = stamp(tls.ca_cert) + stamp(tls.client_cert) + stamp(tls.client_key);
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<SSL_CTX>> cache;
  std::lock_guard lock(mu);
  auto& ctx = cache[key];
  if (!ctx) ctx = load_context(tls);
  return ctx;
}
}  // namespace

TlsFiles TlsFiles::in_dir(const std::filesystem::path& dir) {
  return {dir / "ca.pem", dir / "cert.pem", dir / "key.pem"};
}

namespace {
// One mutual-TLS connection to the engine with the request sent: the part get() and
// LineStream share.
struct TlsConnection {
  std::shared_ptr<SSL_CTX> ctx;
  Fd sock;
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl{nullptr, SSL_free};
};

void open_request(TlsConnection& c, const std::string& url, const std::string& path, const TlsFiles& tls,
                  Clock::time_point deadline) {
  std::string host = drivers::url_host(url);
  int port = parse_port(url);
  if (host.empty()) fail(Code::InvalidArgument, "URL " + url + " has no host");
  c.sock.fd = dial(host, port, deadline);  // first: a refused connection costs no TLS setup
  c.ctx = make_context(tls);
  set_io_timeout(c.sock.fd, deadline);
  c.ssl.reset(SSL_new(c.ctx.get()));
  SSL* ssl = c.ssl.get();
  SSL_set_fd(ssl, c.sock.fd);
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  in6_addr probe{};
  bool is_ip =
      ::inet_pton(AF_INET, host.c_str(), &probe) == 1 || ::inet_pton(AF_INET6, host.c_str(), &probe) == 1;
  if (is_ip) {
    X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
  } else {
    X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
    SSL_set_tlsext_host_name(ssl, host.c_str());
  }
  if (SSL_connect(ssl) != 1) {
    long v = SSL_get_verify_result(ssl);
    std::string why = v != X509_V_OK ? X509_verify_cert_error_string(v) : ssl_error();
    fail(Code::Unavailable, fmt::format("TLS handshake with {} failed: {}", url, why));
  }
  // HTTP/1.0: the engine answers without chunked encoding and closes at the end, so a
  // streamed body (GET /events) arrives as plain lines.
  std::string req = fmt::format(
      "GET {} HTTP/1.0\r\nHost: {}\r\nUser-Agent: machine\r\nConnection: close\r\n\r\n", path, host);
  if (SSL_write(ssl, req.data(), static_cast<int>(req.size())) <= 0)
    fail(Code::Unavailable, fmt::format("cannot send request to {}: {}", url, ssl_error()));
}

// Status code of a raw response whose header is complete; throws when it is not HTTP.
int response_status(const std::string& raw, const std::string& url) {
  if (raw.rfind("HTTP/", 0) != 0 || raw.find("\r\n\r\n") == std::string::npos)
    fail(Code::Unavailable, fmt::format("no HTTP answer from {}", url));
  return std::atoi(raw.c_str() + raw.find(' ') + 1);
}
}  // namespace

HttpResponse get(const std::string& url, const std::string& path, const TlsFiles& tls,
                 std::chrono::milliseconds timeout) {
  const auto started = Clock::now();
  debug::logf("engine request: GET {}{}", url, path);
  TlsConnection c;
  open_request(c, url, path, tls, Clock::now() + timeout);
  std::string raw;
  char buf[8192];
  for (;;) {
    int n = SSL_read(c.ssl.get(), buf, sizeof buf);
    if (n <= 0) break;
    raw.append(buf, static_cast<size_t>(n));
  }
  HttpResponse r;
  r.status = response_status(raw, url);
  r.body = raw.substr(raw.find("\r\n\r\n") + 4);
  debug::logf("engine answer: GET {}{} -> {} after {} ms", url, path, r.status, debug::elapsed_ms(started));
  return r;
}

struct LineStream::Impl {
  TlsConnection conn;
  std::string url;
  std::string buffer;  // received body bytes not yet returned as lines
};

LineStream::LineStream(const std::string& url, const std::string& path, const TlsFiles& tls,
                       std::chrono::milliseconds connect_timeout)
    : impl_(std::make_unique<Impl>()) {
  auto deadline = Clock::now() + connect_timeout;
  impl_->url = url;
  debug::logf("engine request: GET {}{} (stream)", url, path);
  open_request(impl_->conn, url, path, tls, deadline);
  std::string raw;
  char buf[4096];
  while (raw.find("\r\n\r\n") == std::string::npos) {
    if (Clock::now() > deadline)
      fail(Code::Unavailable, fmt::format("no HTTP answer from {} for {}", url, path));
    int n = SSL_read(impl_->conn.ssl.get(), buf, sizeof buf);
    if (n <= 0)
      fail(Code::Unavailable, fmt::format("{} closed the connection before answering {}", url, path));
    raw.append(buf, static_cast<size_t>(n));
  }
  auto end = raw.find("\r\n\r\n");
  int status = response_status(raw, url);
  if (status != 200)
    fail(Code::Unavailable,
         fmt::format("GET {} on {} answered {}: {}", path, url, status, raw.substr(end + 4)));
  impl_->buffer = raw.substr(end + 4);
}

LineStream::~LineStream() = default;

std::optional<std::string> LineStream::next_line(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  SSL* ssl = impl_->conn.ssl.get();
  int fd = impl_->conn.sock.fd;
  char buf[8192];
  for (;;) {
    auto nl = impl_->buffer.find('\n');
    if (nl != std::string::npos) {
      std::string line = impl_->buffer.substr(0, nl);
      impl_->buffer.erase(0, nl + 1);
      return line;
    }
    if (SSL_pending(ssl) == 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return std::nullopt;
      pollfd p{fd, POLLIN, 0};
      int r = ::poll(&p, 1, static_cast<int>(left));
      if (r < 0 && errno == EINTR) continue;
      if (r == 0) return std::nullopt;
    }
    // Readable, but a TLS record may still be partial: bound the blocking read.
    set_io_timeout(fd, std::max(deadline, Clock::now() + std::chrono::milliseconds(100)));
    int n = SSL_read(ssl, buf, sizeof buf);
    if (n > 0) {
      impl_->buffer.append(buf, static_cast<size_t>(n));
      continue;
    }
    int err = SSL_get_error(ssl, n);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) continue;
    fail(Code::Unavailable, fmt::format("the engine at {} closed the stream", impl_->url));
  }
}

bool ping(const std::string& url, const TlsFiles& tls, std::chrono::milliseconds timeout) {
  auto r = get(url, "/_ping", tls, timeout);
  return r.status == 200 && r.body == "OK";
}

void wait_for_engine(const std::string& url, const TlsFiles& tls, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  std::string last = "no answer";
  while (Clock::now() < deadline) {
    throw_if_cancelled();
    try {
      if (ping(url, tls, std::chrono::milliseconds(3000))) return;
      last = "engine did not answer OK to /_ping";
    } catch (const Error& e) {
      if (e.code() == Code::FailedPrecondition) throw;
      last = e.what();
    }
    debug::logf("waiting for the engine at {}: {}", url, last);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  fail(Code::Unavailable,
       fmt::format("the engine at {} did not answer within {} s: {}", url,
                   std::chrono::duration_cast<std::chrono::seconds>(timeout).count(), last));
}

std::string version(const std::string& url, const TlsFiles& tls, std::chrono::milliseconds timeout) {
  auto r = get(url, "/version", tls, timeout);
  if (r.status != 200) fail(Code::Unavailable, fmt::format("GET /version on {} answered {}", url, r.status));
  try {
    return nlohmann::json::parse(r.body).at("Version").get<std::string>();
  } catch (const nlohmann::json::exception&) {
    fail(Code::Unavailable, fmt::format("GET /version on {} gave no version", url));
  }
}

}  // namespace machine::engine
