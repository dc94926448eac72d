#pragma once
// The two ends of a copy behind one small interface, so a single algorithm (scp.cpp) serves
// local, remote and remote-to-remote transfers. Internal to provisioner/.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "provisioner/ssh/scp.h"
#include "provisioner/ssh/ssh.h"

namespace machine::ssh::detail {

class TransferSide {
 public:
  TransferSide() = default;
  TransferSide(const TransferSide&) = delete;
  TransferSide& operator=(const TransferSide&) = delete;
  virtual ~TransferSide() = default;

  virtual std::optional<RemoteFileInfo> stat(const std::string& path) = 0;  // follows symlinks
  virtual std::vector<std::string> list(const std::string& path) = 0;       // names, no . and ..
  // An existing directory is fine. With no_follow, an existing symlink there is refused
  // (Error(FailedPrecondition)) instead of followed.
  virtual void make_dir(const std::string& path, std::uint32_t mode, bool no_follow = false) = 0;
  virtual void set_attributes(const std::string& path, std::uint32_t mode,
                              std::optional<std::int64_t> mtime) = 0;
  virtual std::unique_ptr<RemoteReader> open_read(const std::string& path) = 0;
  // Creates or truncates; with no_follow, a symlink at `path` is refused, never written through.
  virtual std::unique_ptr<RemoteWriter> open_write(const std::string& path, std::uint32_t mode,
                                                   bool no_follow = false) = 0;
  // "vm:path" or "path", for messages and progress.
  virtual std::string describe(const std::string& path) const = 0;
};

// The one copy algorithm behind upload, download and run_scp. Names listed by `from` must be
// plain file names (a peer sending "../x" or "a/b" is refused: the CVE-2019-6111 class);
// everything created below the target is made without following symlinks already there;
// setuid and setgid bits are dropped.
void copy(TransferSide& from, TransferSide& to, const std::string& src, const std::string& dst,
          const TransferOptions& options, bool many_sources);

std::unique_ptr<TransferSide> make_local_side();
std::unique_ptr<TransferSide> make_remote_side(SshSession& session, std::string label);

}  // namespace machine::ssh::detail
