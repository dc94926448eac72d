// The QMP client against a fake QMP server on a unix socket: handshake, commands,
// interleaved events, errors, timeouts and a peer that hangs up.
#include "drivers/qemu/qmp.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "machine/error.h"
#include "tests/support/temp_dir.h"

namespace machine::drivers::qemu {
namespace {
using namespace std::chrono_literals;
using json = nlohmann::json;

// Serves one connection: sends `greeting` (unless empty), then for each received line
// calls `answer`, which returns the lines to send back ("" closes the connection).
class FakeQmpServer {
 public:
  using Answer = std::function<std::vector<std::string>(const json&)>;
  FakeQmpServer(const std::filesystem::path& path, std::string greeting, Answer answer) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd_, 1), 0);
    thread_ = std::thread([this, greeting, answer] {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      if (!greeting.empty()) write_line(c, greeting);
      std::string buf;
      char chunk[1024];
      for (;;) {
        auto nl = buf.find('\n');
        if (nl == std::string::npos) {
          ssize_t n = ::read(c, chunk, sizeof chunk);
          if (n <= 0) break;
          buf.append(chunk, static_cast<size_t>(n));
          continue;
        }
        auto msg = json::parse(buf.substr(0, nl));
        buf.erase(0, nl + 1);
        received.push_back(msg);
        bool close_now = false;
        for (const auto& line : answer(msg)) {
          if (line.empty())
            close_now = true;
          else
            write_line(c, line);
        }
        if (close_now) break;
      }
      ::close(c);
    });
  }
  ~FakeQmpServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::vector<json> received;

 private:
  static void write_line(int fd, const std::string& s) {
    std::string l = s + "\n";
    EXPECT_EQ(::write(fd, l.data(), l.size()), static_cast<ssize_t>(l.size()));
  }
  int fd_;
  std::thread thread_;
};

const std::string kGreeting =
    R"({"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": ""}, "capabilities": ["oob"]}})";

std::string reply(const json& req, const json& ret) {
  return json{{"return", ret}, {"id", req["id"]}}.dump();
}

FakeQmpServer::Answer qemu_like() {
  return [](const json& req) -> std::vector<std::string> {
    auto cmd = req["execute"].get<std::string>();
    if (cmd == "qmp_capabilities") return {reply(req, json::object())};
    if (cmd == "query-status")
      return {
          R"({"event": "RTC_CHANGE", "data": {"offset": 0}, "timestamp": {"seconds": 1, "microseconds": 2}})",
          reply(req, {{"status", "running"}, {"running", true}})};
    if (cmd == "system_powerdown")
      return {R"({"event": "POWERDOWN", "timestamp": {"seconds": 1, "microseconds": 2}})",
              reply(req, json::object())};
    return {json{
        {"error", {{"class", "CommandNotFound"}, {"desc", "The command " + cmd + " has not been found"}}},
        {"id", req["id"]}}
                .dump()};
  };
}

TEST(QmpClient, NegotiatesCapabilitiesBeforeAnyCommand) {
  testing::TempDir dir;
  FakeQmpServer server(dir / "qmp.sock", kGreeting, qemu_like());
  {
    QmpClient qmp(dir / "qmp.sock");
    EXPECT_EQ(qmp.greeting()["QMP"]["version"]["qemu"]["major"], 7);
    EXPECT_EQ(qmp.execute("query-status")["status"], "running");
  }
  ASSERT_EQ(server.received.size(), 2u);
  EXPECT_EQ(server.received[0]["execute"], "qmp_capabilities");
  EXPECT_EQ(server.received[1]["execute"], "query-status");
}

TEST(QmpClient, CollectsEventsThatArriveBeforeTheReply) {
  testing::TempDir dir;
  FakeQmpServer server(dir / "qmp.sock", kGreeting, qemu_like());
  QmpClient qmp(dir / "qmp.sock");
  qmp.execute("system_powerdown");
  ASSERT_EQ(qmp.events().size(), 1u);
  EXPECT_EQ(qmp.events()[0]["event"], "POWERDOWN");
}

TEST(QmpClient, PassesArguments) {
  testing::TempDir dir;
  FakeQmpServer server(dir / "qmp.sock", kGreeting, [](const json& req) -> std::vector<std::string> {
    return {reply(req, req.value("arguments", json::object()))};
  });
  QmpClient qmp(dir / "qmp.sock");
  EXPECT_EQ(qmp.execute("human-monitor-command", {{"command-line", "info status"}})["command-line"],
            "info status");
}

TEST(QmpClient, ErrorCarriesClassAndDescription) {
  testing::TempDir dir;
  FakeQmpServer server(dir / "qmp.sock", kGreeting, qemu_like());
  QmpClient qmp(dir / "qmp.sock");
  try {
    qmp.execute("no-such-command");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::Internal);
    EXPECT_NE(std::string(e.what()).find("CommandNotFound"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("no-such-command"), std::string::npos) << e.what();
  }
}

TEST(QmpClient, NoSocketIsUnavailable) {
  testing::TempDir dir;
  try {
    QmpClient qmp(dir / "qmp.sock");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::Unavailable);
  }
}

TEST(QmpClient, SilentPeerTimesOut) {
  testing::TempDir dir;
  FakeQmpServer server(dir / "qmp.sock", "", qemu_like());
  try {
    QmpClient qmp(dir / "qmp.sock", 200ms);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::Unavailable);
    EXPECT_NE(std::string(e.what()).find("did not answer"), std::string::npos) << e.what();
  }
}

TEST(QmpClient, PeerHangingUpIsUnavailable) {
  testing::TempDir dir;
  FakeQmpServer server(dir / "qmp.sock", kGreeting, [](const json& req) -> std::vector<std::string> {
    if (req["execute"] == "qmp_capabilities") return {reply(req, json::object())};
    return {""};  // QEMU exiting under us
  });
  QmpClient qmp(dir / "qmp.sock");
  try {
    qmp.execute("query-status");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::Unavailable);
  }
}

TEST(QmpClient, GarbageGreetingIsAProtocolError) {
  testing::TempDir dir;
  FakeQmpServer server(dir / "qmp.sock", R"({"hello": 1})", qemu_like());
  try {
    QmpClient qmp(dir / "qmp.sock");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::Internal);
  }
}

}  // namespace
}  // namespace machine::drivers::qemu
