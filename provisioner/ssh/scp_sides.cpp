#include "provisioner/ssh/scp_sides.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "machine/error.h"

namespace machine::ssh::detail {
namespace {

[[noreturn]] void fail_local(const std::string& what, const std::string& path) {
  int err = errno;
  Code code = err == ENOENT                   ? Code::NotFound
              : err == EACCES || err == EPERM ? Code::FailedPrecondition
                                              : Code::Internal;
  fail(code, fmt::format("{} {}: {}", what, path, std::strerror(err)));
}

[[noreturn]] void refuse_symlink(const std::string& path) {
  fail(Code::FailedPrecondition, fmt::format("{} is a symbolic link: refusing to write through it", path));
}

RemoteFileInfo info_from(const struct stat& st) {
  RemoteFileInfo info;
  info.type = S_ISREG(st.st_mode)   ? RemoteFileInfo::Type::File
              : S_ISDIR(st.st_mode) ? RemoteFileInfo::Type::Directory
              : S_ISLNK(st.st_mode) ? RemoteFileInfo::Type::Symlink
                                    : RemoteFileInfo::Type::Other;
  info.size = static_cast<std::uint64_t>(st.st_size);
  info.mode = st.st_mode & 07777;
  info.mtime = st.st_mtim.tv_sec;
  return info;
}

class LocalReader final : public RemoteReader {
 public:
  explicit LocalReader(const std::string& path) : path_(path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) fail_local("cannot open", path);
  }
  ~LocalReader() override { ::close(fd_); }
  std::size_t read(char* buffer, std::size_t size) override {
    for (;;) {
      ssize_t n = ::read(fd_, buffer, size);
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno != EINTR) fail_local("cannot read", path_);
    }
  }

 private:
  std::string path_;
  int fd_ = -1;
};

class LocalWriter final : public RemoteWriter {
 public:
  LocalWriter(const std::string& path, std::uint32_t mode, bool no_follow) : path_(path) {
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | (no_follow ? O_NOFOLLOW : 0), mode);
    if (fd_ < 0 && errno == ELOOP && no_follow) refuse_symlink(path);
    if (fd_ < 0) fail_local("cannot create", path);
  }
  ~LocalWriter() override {
    if (fd_ >= 0) ::close(fd_);
  }
  void write(std::string_view data) override {
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail_local("cannot write", path_);
      data.remove_prefix(static_cast<size_t>(n));
    }
  }
  void close() override {
    int fd = fd_;
    fd_ = -1;
    if (fd >= 0 && ::close(fd) != 0) fail_local("cannot write", path_);
  }

 private:
  std::string path_;
  int fd_ = -1;
};

class LocalSide final : public TransferSide {
 public:
  std::optional<RemoteFileInfo> stat(const std::string& path) override {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) return info_from(st);
    if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
    fail_local("cannot stat", path);
  }
  std::vector<std::string> list(const std::string& path) override {
    DIR* dir = ::opendir(path.c_str());
    if (!dir) fail_local("cannot open directory", path);
    std::vector<std::string> names;
    while (dirent* e = ::readdir(dir)) {
      std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(dir);
    return names;
  }
  void make_dir(const std::string& path, std::uint32_t mode, bool no_follow) override {
    if (::mkdir(path.c_str(), mode) == 0) return;
    struct stat st {};
    if (errno == EEXIST && no_follow && ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode))
      refuse_symlink(path);
    if (errno == EEXIST && ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return;
    fail_local("cannot create directory", path);
  }
  void set_attributes(const std::string& path, std::uint32_t mode,
                      std::optional<std::int64_t> mtime) override {
    if (::chmod(path.c_str(), mode & 07777) != 0) fail_local("cannot change mode of", path);
    if (!mtime) return;
    timespec times[2] = {{static_cast<time_t>(*mtime), 0}, {static_cast<time_t>(*mtime), 0}};
    if (::utimensat(AT_FDCWD, path.c_str(), times, 0) != 0) fail_local("cannot set time of", path);
  }
  std::unique_ptr<RemoteReader> open_read(const std::string& path) override {
    return std::make_unique<LocalReader>(path);
  }
  std::unique_ptr<RemoteWriter> open_write(const std::string& path, std::uint32_t mode,
                                           bool no_follow) override {
    return std::make_unique<LocalWriter>(path, mode, no_follow);
  }
  std::string describe(const std::string& path) const override { return path; }
};

class RemoteSide final : public TransferSide {
 public:
  RemoteSide(SshSession& session, std::string label) : s_(session), label_(std::move(label)) {}
  std::optional<RemoteFileInfo> stat(const std::string& path) override { return s_.stat(path); }
  std::vector<std::string> list(const std::string& path) override {
    std::vector<std::string> names;
    for (auto& e : s_.list_dir(path)) names.push_back(std::move(e.name));
    return names;
  }
  // no_follow is not enforced on the machine's side: SFTP has no O_NOFOLLOW, and what a
  // machine's own symlinks point at stays inside that machine.
  void make_dir(const std::string& path, std::uint32_t mode, bool) override { s_.make_dir(path, mode); }
  void set_attributes(const std::string& path, std::uint32_t mode,
                      std::optional<std::int64_t> mtime) override {
    s_.set_attributes(path, mode, mtime);
  }
  std::unique_ptr<RemoteReader> open_read(const std::string& path) override { return s_.open_read(path); }
  std::unique_ptr<RemoteWriter> open_write(const std::string& path, std::uint32_t mode, bool) override {
    return s_.open_write(path, mode);
  }
  std::string describe(const std::string& path) const override { return label_ + ":" + path; }

 private:
  SshSession& s_;
  std::string label_;
};

}  // namespace

std::unique_ptr<TransferSide> make_local_side() { return std::make_unique<LocalSide>(); }

std::unique_ptr<TransferSide> make_remote_side(SshSession& session, std::string label) {
  return std::make_unique<RemoteSide>(session, std::move(label));
}

}  // namespace machine::ssh::detail
