#pragma once
// A minimal QMP client: one unix socket, JSON objects one per line, the capabilities
// handshake, synchronous commands. Asynchronous events are collected, not acted on.
#include <chrono>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace machine::drivers::qemu {

class QmpClient {
 public:
  // Connects to `socket`, reads the greeting and sends qmp_capabilities. Throws
  // Error(Unavailable) when nobody answers within `timeout`, Error(Internal) on a
  // protocol error.
  explicit QmpClient(const std::filesystem::path& socket,
                     std::chrono::milliseconds timeout = std::chrono::seconds(3));
  ~QmpClient();
  QmpClient(const QmpClient&) = delete;
  QmpClient& operator=(const QmpClient&) = delete;

  // Runs `command` and returns its "return" value. Throws Error(Internal) carrying
  // QMP's error class and description, Error(Unavailable) when the peer goes away or
  // does not answer within the timeout.
  nlohmann::json execute(const std::string& command, const nlohmann::json& arguments = nullptr);

  const nlohmann::json& greeting() const { return greeting_; }
  // Events received so far ({"event": "SHUTDOWN", ...}), oldest first.
  const std::vector<nlohmann::json>& events() const { return events_; }

 private:
  nlohmann::json read_message();
  void send(const nlohmann::json& msg);

  int fd_ = -1;
  std::chrono::milliseconds timeout_;
  std::string buffer_;
  nlohmann::json greeting_;
  std::vector<nlohmann::json> events_;
  int next_id_ = 1;
};

// HMP command lines through `qmp` (human-monitor-command), returning the monitor's text.
std::function<std::string(const std::string&)> hmp_runner(QmpClient& qmp);

}  // namespace machine::drivers::qemu
