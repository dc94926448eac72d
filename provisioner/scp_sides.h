#pragma once
// The two ends of a copy behind one small interface, so a single algorithm (scp.cpp) serves
// local, remote and remote-to-remote transfers. Internal to provisioner/.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "provisioner/ssh.h"

namespace machine::ssh::detail {

class TransferSide {
 public:
  TransferSide() = default;
  TransferSide(const TransferSide&) = delete;
  TransferSide& operator=(const TransferSide&) = delete;
  virtual ~TransferSide() = default;

  virtual std::optional<RemoteFileInfo> stat(const std::string& path) = 0;  // follows symlinks
  virtual std::vector<std::string> list(const std::string& path) = 0;       // names, no . and ..
  virtual void make_dir(const std::string& path, std::uint32_t mode) = 0;   // existing is fine
  virtual void set_attributes(const std::string& path, std::uint32_t mode,
                              std::optional<std::int64_t> mtime) = 0;
  virtual std::unique_ptr<RemoteReader> open_read(const std::string& path) = 0;
  virtual std::unique_ptr<RemoteWriter> open_write(const std::string& path, std::uint32_t mode) = 0;
  // "vm:path" or "path", for messages and progress.
  virtual std::string describe(const std::string& path) const = 0;
};

std::unique_ptr<TransferSide> make_local_side();
std::unique_ptr<TransferSide> make_remote_side(SshSession& session, std::string label);

}  // namespace machine::ssh::detail
