#include "drivers/common/ports.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>

#include "machine/error.h"
#include "machine/store.h"

namespace machine::drivers {
namespace {

// Binds 127.0.0.1:port (0 = any) and returns the bound port, or 0 on failure.
int bind_loopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  // As QEMU's hostfwd listeners do: a port whose old connections linger in TIME_WAIT
  // (a machine just stopped) is free for them, only a live listener is not.
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  int bound = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    socklen_t len = sizeof addr;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) bound = ntohs(addr.sin_port);
  }
  ::close(fd);
  return bound;
}

// Ports this process handed out: two machines created by one process (tests, a future
// multi-create) never get the same port even before either config is saved.
std::mutex g_mutex;
std::set<int> g_handed_out;

}  // namespace

bool loopback_port_free(int port) { return port > 0 && port < 65536 && bind_loopback(port) == port; }

std::vector<nlohmann::json> other_machines_driver_configs(const std::filesystem::path& store_root,
                                                          std::string_view except) {
  std::vector<nlohmann::json> drivers;
  std::error_code ec;
  auto machines = store_root / "machines";
  for (std::filesystem::directory_iterator it(machines, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().filename() == except) continue;
    std::ifstream in(it->path() / std::string(machine_files::kConfig));
    if (!in) continue;
    auto j = nlohmann::json::parse(in, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("Driver") || !j["Driver"].is_object()) continue;
    drivers.push_back(std::move(j["Driver"]));
  }
  return drivers;
}

std::set<int> ports_used_by_machines(const std::filesystem::path& store_root,
                                     const std::vector<std::string>& fields, std::string_view except) {
  std::set<int> used;
  for (const auto& driver : other_machines_driver_configs(store_root, except))
    for (const auto& f : fields) {
      auto v = driver.find(f);
      if (v != driver.end() && v->is_number_integer()) used.insert(v->get<int>());
    }
  return used;
}

std::vector<int> pick_ports(size_t n, const std::set<int>& exclude, const std::function<int()>& candidate,
                            const std::function<bool(int)>& is_free) {
  std::lock_guard lock(g_mutex);
  std::vector<int> picked;
  for (int tries = 0; picked.size() < n; ++tries) {
    if (tries > 200) fail(Code::Unavailable, "cannot find a free TCP port on 127.0.0.1");
    int p = candidate();
    if (p <= 0 || exclude.count(p) || g_handed_out.count(p) || !is_free(p)) continue;
    bool dup = false;
    for (int q : picked) dup = dup || q == p;
    if (!dup) picked.push_back(p);
  }
  g_handed_out.insert(picked.begin(), picked.end());
  return picked;
}

std::vector<int> pick_free_loopback_ports(size_t n, const std::set<int>& exclude) {
  return pick_ports(
      n, exclude, [] { return bind_loopback(0); }, loopback_port_free);
}

std::array<int, 2> pick_forward_ports(const std::filesystem::path& store_root, std::string_view self) {
  auto ports =
      pick_free_loopback_ports(2, ports_used_by_machines(store_root, {"SSHPort", "EnginePort"}, self));
  return {ports[0], ports[1]};
}

std::array<int, 2> replace_taken_forward_ports(const std::filesystem::path& store_root, std::string_view self,
                                               std::array<int, 2> ports) {
  auto taken = [](int port) { return port > 0 && !loopback_port_free(port); };
  if (!taken(ports[0]) && !taken(ports[1])) return ports;
  auto lock = Store(store_root).lock_resource("addresses");
  auto used = ports_used_by_machines(store_root, {"SSHPort", "EnginePort"}, self);
  used.insert(ports.begin(), ports.end());
  for (int& port : ports)
    if (taken(port)) port = pick_free_loopback_ports(1, used)[0];
  return ports;
}

}  // namespace machine::drivers
