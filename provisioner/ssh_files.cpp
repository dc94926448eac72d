#include "provisioner/ssh_files.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "machine/error.h"

namespace machine::ssh::detail {

void write_file_atomic(const std::filesystem::path& path, std::string_view content, unsigned mode) {
  auto tmp = path;
  tmp += fmt::format(".tmp{}", ::getpid());
  auto fail_errno = [&](const char* what) {
    int err = errno;
    ::unlink(tmp.c_str());
    fail(Code::Internal, fmt::format("cannot write {}: {}: {}", path.string(), what, std::strerror(err)));
  };
  // O_EXCL + explicit mode: a private key is never readable by others, not even briefly.
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0 && errno == EEXIST) {
    ::unlink(tmp.c_str());
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC, mode);
  }
  if (fd < 0) fail_errno("open");
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      fail_errno("write");
    }
    done += static_cast<size_t>(n);
  }
  if (::fchmod(fd, mode) != 0 || ::fsync(fd) != 0) {
    ::close(fd);
    fail_errno("sync");
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail_errno("rename");
}

std::string read_whole_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (!std::filesystem::exists(path)) fail(Code::NotFound, fmt::format("{} does not exist", path.string()));
    fail(Code::Internal, fmt::format("cannot read {}", path.string()));
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace machine::ssh::detail
