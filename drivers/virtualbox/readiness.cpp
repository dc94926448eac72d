#include "drivers/virtualbox/readiness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <fstream>
#include <sstream>

namespace machine::drivers::virtualbox {
namespace {

std::string read_tail(const std::filesystem::path& p, size_t max_bytes) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return "";
  in.seekg(0, std::ios::end);
  auto size = static_cast<size_t>(in.tellg());
  in.seekg(static_cast<std::streamoff>(size > max_bytes ? size - max_bytes : 0));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::string clean;
    for (char c : line)
      if (c == '\t' || static_cast<unsigned char>(c) >= 0x20) clean += c;
    if (!clean.empty()) out.push_back(clean);
  }
  return out;
}

}  // namespace

bool ssh_banner_ready(int port, std::chrono::milliseconds timeout) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = false;
  int ms = static_cast<int>(timeout.count());
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 || errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof err;
    if (::poll(&p, 1, ms) == 1 && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) {
      p = {fd, POLLIN, 0};
      char buf[4] = {};
      if (::poll(&p, 1, ms) == 1 && ::recv(fd, buf, sizeof buf, MSG_PEEK) == 4)
        ok = std::string(buf, 4) == "SSH-";
    }
  }
  ::close(fd);
  return ok;
}

std::string console_tail(const std::filesystem::path& log, size_t lines) {
  auto all = lines_of(read_tail(log, 64 * 1024));
  std::string out;
  for (size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i)
    out += (out.empty() ? "" : "\n") + all[i];
  return out.empty() ? "(no console output)" : out;
}

bool console_has_line(const std::filesystem::path& log, std::string_view marker) {
  for (const auto& line : lines_of(read_tail(log, 1 << 20)))
    if (line == marker) return true;
  return false;
}

std::vector<std::string> console_host_keys(const std::filesystem::path& log) {
  std::vector<std::string> keys;
  constexpr std::string_view kPrefix = "machine-hostkey: ";
  for (const auto& line : lines_of(read_tail(log, 1 << 20))) {
    auto at = line.find(kPrefix);
    if (at == std::string::npos) continue;
    std::istringstream words(line.substr(at + kPrefix.size()));
    std::string type, key;
    if (!(words >> type >> key)) continue;
    auto k = type + " " + key;
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
  }
  return keys;
}

}  // namespace machine::drivers::virtualbox
