#pragma once
// Loopback clients for e2e tests of published ports: an HTTP GET and a UDP round trip with
// timeouts, and a listener that holds a host port. Traffic goes to 127.0.0.0/8 only.
#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace machine::e2e {

// The body of GET / from http://addr:port, or nullopt when nothing answers in time.
std::optional<std::string> http_get(const std::string& addr, int port, std::chrono::milliseconds timeout);

// True when a TCP connect to addr:port is refused (nothing listens there any more).
bool tcp_refused(const std::string& addr, int port);

// Sends `message` to addr:port over UDP and returns the first reply, or nullopt.
std::optional<std::string> udp_roundtrip(const std::string& addr, int port, const std::string& message,
                                         std::chrono::milliseconds timeout);

// Polls `probe` until it returns true or `timeout` passes.
bool eventually(const std::function<bool()>& probe, std::chrono::milliseconds timeout,
                std::chrono::milliseconds every = std::chrono::milliseconds(200));

// A TCP listener on 127.0.0.1:port held for the object's life (a host port "taken").
class HeldPort {
 public:
  explicit HeldPort(int port);
  ~HeldPort();
  HeldPort(const HeldPort&) = delete;
  HeldPort& operator=(const HeldPort&) = delete;
  bool ok() const { return fd_ >= 0; }
  void release();

 private:
  int fd_ = -1;
};

}  // namespace machine::e2e
