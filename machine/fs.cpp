#include "machine/fs.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "machine/error.h"

namespace machine::fs {
namespace {
[[noreturn]] void fail_errno(const std::string& what, const std::filesystem::path& p) {
  fail(errno == ENOENT ? Code::NotFound : Code::Internal,
       fmt::format("cannot {} {}: {}", what, p.string(), std::strerror(errno)));
}

void fsync_dir(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}
}  // namespace

void write_file_atomic(const std::filesystem::path& path, const std::string& content, unsigned mode) {
  auto dir = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
  std::string tmpl = (dir / ("." + path.filename().string() + ".tmp-XXXXXX")).string();
  int fd = ::mkstemp(tmpl.data());
  if (fd < 0) fail_errno("create temporary file in", dir);
  ::fchmod(fd, mode);
  const char* p = content.data();
  size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      int saved = errno;
      ::close(fd);
      ::unlink(tmpl.c_str());
      errno = saved;
      fail_errno("write", path);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmpl.c_str());
    fail_errno("sync", path);
  }
  if (::rename(tmpl.c_str(), path.c_str()) != 0) {
    int saved = errno;
    ::unlink(tmpl.c_str());
    errno = saved;
    fail_errno("rename into place", path);
  }
  fsync_dir(dir);
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail_errno("read", path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void ensure_private_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) fail(Code::Internal, fmt::format("cannot create directory {}: {}", dir.string(), ec.message()));
  if (::chmod(dir.c_str(), 0700) != 0) fail_errno("set permissions on", dir);
}

void copy_file_atomic(const std::filesystem::path& from, const std::filesystem::path& to, unsigned mode) {
  write_file_atomic(to, read_file(from), mode);
}

bool is_direct_child(const std::filesystem::path& dir, const std::filesystem::path& entry) {
  namespace fsys = std::filesystem;
  auto name = entry.filename();
  if (name.empty() || name == "." || name == "..") return false;
  std::error_code ec;
  if (!fsys::exists(fsys::symlink_status(entry, ec))) return false;
  auto want = fsys::canonical(dir, ec);
  if (ec) return false;
  auto parent = fsys::canonical(entry.parent_path().empty() ? fsys::path(".") : entry.parent_path(), ec);
  return !ec && parent == want;
}

}  // namespace machine::fs
