// The QMP client's reply handling (drivers/qemu/qmp.h): the input is everything a QMP server
// sends (greeting, replies, events). The client connects to a real unix socket served by a
// thread; whatever arrives, it returns or fails with machine::Error (never another exception).
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <thread>

#include "drivers/qemu/qmp.h"
#include "machine/error.h"
#include "tests/fuzz/fuzz.h"

namespace {
struct Listener {
  std::string path;
  int fd = -1;
  Listener() {
    char dir[] = "/tmp/qmp-fuzz.XXXXXX";
    if (!::mkdtemp(dir)) std::abort();
    path = std::string(dir) + "/qmp.sock";
    fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 4) != 0)
      std::abort();
  }
  ~Listener() {
    ::close(fd);
    ::unlink(path.c_str());
    ::rmdir(path.substr(0, path.rfind('/')).c_str());
  }
};

// Sends `bytes` to the one client, ends the stream, and drains what the client writes
// until it hangs up.
void serve(int listen_fd, std::string_view bytes) {
  int c = ::accept(listen_fd, nullptr, nullptr);
  if (c < 0) return;
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::send(c, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  ::shutdown(c, SHUT_WR);
  char buf[4096];
  while (::read(c, buf, sizeof buf) > 0) {
  }
  ::close(c);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Listener listener;
  auto bytes = machine::fuzz::as_text(data, size);
  std::thread server(serve, listener.fd, bytes);
  try {
    machine::drivers::qemu::QmpClient qmp(listener.path, std::chrono::milliseconds(500));
    (void)qmp.execute("query-status");
    (void)machine::drivers::qemu::hmp_runner(qmp)("info usernet");
  } catch (const machine::Error&) {
  }
  server.join();
  return 0;
}
