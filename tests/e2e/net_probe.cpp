#include "tests/e2e/net_probe.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

namespace machine::e2e {
namespace {
using Clock = std::chrono::steady_clock;

sockaddr_in address(const std::string& addr, int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, addr.c_str(), &a.sin_addr);
  return a;
}

int ms_left(Clock::time_point deadline) {
  auto l = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return l > 0 ? static_cast<int>(l) : 0;
}

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};
}  // namespace

std::optional<std::string> http_get(const std::string& addr, int port, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  Fd s{::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)};
  auto a = address(addr, port);
  if (::connect(s.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 && errno != EINPROGRESS)
    return std::nullopt;
  pollfd p{s.fd, POLLOUT, 0};
  if (::poll(&p, 1, ms_left(deadline)) != 1) return std::nullopt;
  int err = 0;
  socklen_t len = sizeof err;
  ::getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) return std::nullopt;
  std::string req = "GET / HTTP/1.0\r\nHost: " + addr + "\r\n\r\n";
  if (::send(s.fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size()))
    return std::nullopt;
  std::string raw;
  char buf[4096];
  for (;;) {
    pollfd r{s.fd, POLLIN, 0};
    if (::poll(&r, 1, ms_left(deadline)) != 1) return std::nullopt;
    ssize_t n = ::recv(s.fd, buf, sizeof buf, 0);
    if (n < 0) return std::nullopt;
    if (n == 0) break;
    raw.append(buf, static_cast<size_t>(n));
  }
  auto body = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.", 0) != 0 || body == std::string::npos) return std::nullopt;
  return raw.substr(body + 4);
}

bool tcp_refused(const std::string& addr, int port) {
  Fd s{::socket(AF_INET, SOCK_STREAM, 0)};
  auto a = address(addr, port);
  return ::connect(s.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 && errno == ECONNREFUSED;
}

std::optional<std::string> udp_roundtrip(const std::string& addr, int port, const std::string& message,
                                         std::chrono::milliseconds timeout) {
  Fd s{::socket(AF_INET, SOCK_DGRAM, 0)};
  auto a = address(addr, port);
  if (::sendto(s.fd, message.data(), message.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0)
    return std::nullopt;
  pollfd p{s.fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return std::nullopt;
  char buf[2048];
  ssize_t n = ::recv(s.fd, buf, sizeof buf, 0);
  if (n < 0) return std::nullopt;
  return std::string(buf, static_cast<size_t>(n));
}

bool eventually(const std::function<bool()>& probe, std::chrono::milliseconds timeout,
                std::chrono::milliseconds every) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    if (probe()) return true;
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(every);
  }
}

HeldPort::HeldPort(int port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  auto a = address("127.0.0.1", port);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 4) != 0) release();
}

HeldPort::~HeldPort() { release(); }

void HeldPort::release() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace machine::e2e
