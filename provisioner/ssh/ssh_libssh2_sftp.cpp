// SFTP file operations over libssh2. Relative paths are relative to the remote home directory.
#include <fmt/format.h>

#include "machine/error.h"
#include "provisioner/ssh/ssh_libssh2.h"

namespace machine::ssh::detail {
namespace {

RemoteFileInfo to_info(const LIBSSH2_SFTP_ATTRIBUTES& a) {
  RemoteFileInfo info;
  if (a.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS) {
    switch (a.permissions & LIBSSH2_SFTP_S_IFMT) {
      case LIBSSH2_SFTP_S_IFREG:
        info.type = RemoteFileInfo::Type::File;
        break;
      case LIBSSH2_SFTP_S_IFDIR:
        info.type = RemoteFileInfo::Type::Directory;
        break;
      case LIBSSH2_SFTP_S_IFLNK:
        info.type = RemoteFileInfo::Type::Symlink;
        break;
      default:
        info.type = RemoteFileInfo::Type::Other;
    }
    info.mode = static_cast<std::uint32_t>(a.permissions & 07777);
  }
  if (a.flags & LIBSSH2_SFTP_ATTR_SIZE) info.size = a.filesize;
  if (a.flags & LIBSSH2_SFTP_ATTR_ACMODTIME) info.mtime = static_cast<std::int64_t>(a.mtime);
  return info;
}

// An open SFTP file or directory handle, closed on destruction.
class Handle {
 public:
  Handle(Libssh2Session& s, const std::string& path, unsigned long flags, long mode, int type,
         const char* what)
      : s_(s), path_(path) {
    LIBSSH2_SFTP* sftp = s_.sftp();
    for (;;) {
      h_ = libssh2_sftp_open_ex(sftp, path.data(), static_cast<unsigned>(path.size()), flags, mode, type);
      if (h_) break;
      int rc = libssh2_session_last_errno(s_.raw());
      if (rc != LIBSSH2_ERROR_EAGAIN) s_.fail_sftp(what, path, rc);
      s_.wait_socket(std::nullopt);
    }
  }
  ~Handle() {
    try {
      close();
    } catch (const Error&) {
    }
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  // Closing a written file is where the server reports a failed flush, so callers check it.
  void close() {
    if (!h_) return;
    int rc = s_.retry([&] { return libssh2_sftp_close_handle(h_); });
    h_ = nullptr;
    if (rc != 0) s_.fail_sftp("cannot close", path_, rc);
  }
  LIBSSH2_SFTP_HANDLE* get() { return h_; }
  Libssh2Session& session() { return s_; }
  const std::string& path() const { return path_; }

 private:
  Libssh2Session& s_;
  std::string path_;
  LIBSSH2_SFTP_HANDLE* h_ = nullptr;
};

class SftpReader final : public RemoteReader {
 public:
  SftpReader(Libssh2Session& s, const std::string& path)
      : h_(s, path, LIBSSH2_FXF_READ, 0, LIBSSH2_SFTP_OPENFILE, "cannot open") {}
  std::size_t read(char* buffer, std::size_t size) override {
    ssize_t n = 0;
    h_.session().retry([&] {
      n = libssh2_sftp_read(h_.get(), buffer, size);
      return n < 0 ? static_cast<int>(n) : 0;
    });
    if (n < 0) h_.session().fail_sftp("cannot read", h_.path(), static_cast<int>(n));
    return static_cast<std::size_t>(n);
  }

 private:
  Handle h_;
};

class SftpWriter final : public RemoteWriter {
 public:
  SftpWriter(Libssh2Session& s, const std::string& path, std::uint32_t mode)
      : h_(s, path, LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC, static_cast<long>(mode),
           LIBSSH2_SFTP_OPENFILE, "cannot create") {}
  void write(std::string_view data) override {
    // libssh2 pipelines large buffers itself; loop until every byte is acknowledged.
    while (!data.empty()) {
      ssize_t n = 0;
      h_.session().retry([&] {
        n = libssh2_sftp_write(h_.get(), data.data(), data.size());
        return n < 0 ? static_cast<int>(n) : 0;
      });
      if (n < 0) h_.session().fail_sftp("cannot write", h_.path(), static_cast<int>(n));
      data.remove_prefix(static_cast<size_t>(n));
    }
  }
  void close() override { h_.close(); }

 private:
  Handle h_;
};

}  // namespace

std::optional<RemoteFileInfo> Libssh2Session::stat(const std::string& path) {
  LIBSSH2_SFTP* s = sftp();
  LIBSSH2_SFTP_ATTRIBUTES attrs{};
  int rc = retry([&] {
    return libssh2_sftp_stat_ex(s, path.data(), static_cast<unsigned>(path.size()), LIBSSH2_SFTP_STAT,
                                &attrs);
  });
  if (rc == 0) return to_info(attrs);
  if (rc == LIBSSH2_ERROR_SFTP_PROTOCOL) {
    unsigned long status = libssh2_sftp_last_error(s);
    if (status == LIBSSH2_FX_NO_SUCH_FILE || status == LIBSSH2_FX_NO_SUCH_PATH) return std::nullopt;
  }
  fail_sftp("cannot stat", path, rc);
}

std::vector<RemoteDirEntry> Libssh2Session::list_dir(const std::string& path) {
  Handle dir(*this, path, 0, 0, LIBSSH2_SFTP_OPENDIR, "cannot open directory");
  std::vector<RemoteDirEntry> entries;
  char name[4096];
  for (;;) {
    LIBSSH2_SFTP_ATTRIBUTES attrs{};
    int n = retry([&] { return libssh2_sftp_readdir(dir.get(), name, sizeof name, &attrs); });
    if (n == 0) break;
    if (n < 0) fail_sftp("cannot list directory", path, n);
    std::string entry(name, static_cast<size_t>(n));
    if (entry == "." || entry == "..") continue;
    entries.push_back({entry, to_info(attrs)});
  }
  dir.close();
  return entries;
}

void Libssh2Session::make_dir(const std::string& path, std::uint32_t mode) {
  LIBSSH2_SFTP* s = sftp();
  int rc = retry([&] {
    return libssh2_sftp_mkdir_ex(s, path.data(), static_cast<unsigned>(path.size()), static_cast<long>(mode));
  });
  if (rc == 0) return;
  auto info = stat(path);
  if (info && info->type == RemoteFileInfo::Type::Directory) return;
  fail_sftp("cannot create directory", path, rc);
}

void Libssh2Session::set_attributes(const std::string& path, std::uint32_t mode,
                                    std::optional<std::int64_t> mtime) {
  LIBSSH2_SFTP* s = sftp();
  LIBSSH2_SFTP_ATTRIBUTES attrs{};
  attrs.flags = LIBSSH2_SFTP_ATTR_PERMISSIONS;
  attrs.permissions = mode & 07777;
  if (mtime) {
    attrs.flags |= LIBSSH2_SFTP_ATTR_ACMODTIME;
    attrs.atime = attrs.mtime = static_cast<unsigned long>(*mtime);
  }
  int rc = retry([&] {
    return libssh2_sftp_stat_ex(s, path.data(), static_cast<unsigned>(path.size()), LIBSSH2_SFTP_SETSTAT,
                                &attrs);
  });
  if (rc != 0) fail_sftp("cannot set attributes of", path, rc);
}

std::unique_ptr<RemoteReader> Libssh2Session::open_read(const std::string& path) {
  return std::make_unique<SftpReader>(*this, path);
}

std::unique_ptr<RemoteWriter> Libssh2Session::open_write(const std::string& path, std::uint32_t mode) {
  return std::make_unique<SftpWriter>(*this, path, mode);
}

}  // namespace machine::ssh::detail
