#include "drivers/qemu/qmp.h"

#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "drivers/common/readiness.h"
#include "machine/error.h"

namespace machine::drivers::qemu {
using Clock = std::chrono::steady_clock;
using common::ms_until;

QmpClient::QmpClient(const std::filesystem::path& socket, std::chrono::milliseconds timeout)
    : timeout_(timeout) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string path = socket.string();
  if (path.size() >= sizeof addr.sun_path)
    fail(Code::Internal, fmt::format("QMP socket path too long ({} bytes): {}", path.size(), path));
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) fail(Code::Internal, fmt::format("cannot create socket: {}", std::strerror(errno)));
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    ::close(fd_);
    fd_ = -1;
    fail(Code::Unavailable, fmt::format("cannot connect to QMP socket {}: {}", path, std::strerror(err)));
  }
  try {
    greeting_ = read_message();
    if (!greeting_.contains("QMP")) fail(Code::Internal, "QMP greeting missing: " + greeting_.dump());
    execute("qmp_capabilities");
  } catch (...) {
    ::close(fd_);
    fd_ = -1;
    throw;
  }
}

QmpClient::~QmpClient() {
  if (fd_ >= 0) ::close(fd_);
}

void QmpClient::send(const nlohmann::json& msg) {
  std::string line = msg.dump() + "\n";
  size_t off = 0;
  while (off < line.size()) {
    ssize_t n = ::send(fd_, line.data() + off, line.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail(Code::Unavailable, fmt::format("QMP write failed: {}", std::strerror(errno)));
    off += static_cast<size_t>(n);
  }
}

nlohmann::json QmpClient::read_message() {
  auto deadline = Clock::now() + timeout_;
  for (;;) {
    auto nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.is_object()) fail(Code::Internal, "QMP sent invalid JSON: " + line);
      return j;
    }
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, ms_until(deadline));
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) fail(Code::Unavailable, fmt::format("QMP did not answer within {} ms", timeout_.count()));
    char chunk[4096];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail(Code::Unavailable, "QMP connection closed");
    buffer_.append(chunk, static_cast<size_t>(n));
  }
}

nlohmann::json QmpClient::execute(const std::string& command, const nlohmann::json& arguments) {
  if (fd_ < 0) fail(Code::Unavailable, "QMP connection closed");
  int id = next_id_++;
  nlohmann::json msg{{"execute", command}, {"id", id}};
  if (!arguments.is_null()) msg["arguments"] = arguments;
  send(msg);
  for (;;) {
    auto reply = read_message();
    if (reply.contains("event")) {
      events_.push_back(std::move(reply));
      continue;
    }
    if (reply.contains("id") && reply["id"] != id) continue;  // a stale answer
    if (reply.contains("error")) {
      // Only strings are read from it: any other shape is still an error, never a type_error
      // escaping as something other than machine::Error (found by tests/fuzz/qmp).
      const auto& e = reply["error"];
      auto text = [&](const char* key, const std::string& fallback) {
        return e.is_object() && e.contains(key) && e[key].is_string() ? e[key].get<std::string>() : fallback;
      };
      fail(Code::Internal,
           fmt::format("QMP {} failed: {}: {}", command, text("class", "Error"), text("desc", e.dump())));
    }
    if (reply.contains("return")) return reply["return"];
    fail(Code::Internal, "unexpected QMP reply: " + reply.dump());
  }
}

std::function<std::string(const std::string&)> hmp_runner(QmpClient& qmp) {
  return [&qmp](const std::string& line) {
    auto r = qmp.execute("human-monitor-command", {{"command-line", line}});
    return r.is_string() ? r.get<std::string>() : std::string();
  };
}

}  // namespace machine::drivers::qemu
