// What a copy must never do to the host, whoever is on the other end (the CVE-2019-6111
// class): take a peer's "../x" or "a/b" as a file name, write through a symlink found below
// the destination, or carry setuid/setgid bits. The peer is an in-memory FakePeer; the host
// side is the real local filesystem in a temp dir.
#include <gmock/gmock.h>
#include <sys/stat.h>

#include <map>

#include "machine/error.h"
#include "provisioner/ssh/scp_sides.h"
#include "tests/support/temp_dir.h"

namespace machine::ssh {
namespace {
namespace fs = std::filesystem;
using machine::testing::read_file;
using machine::testing::TempDir;
using machine::testing::write_file;
using ::testing::HasSubstr;

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0;
}

// A peer that lists whatever names it is told to: the hostile SFTP server.
class FakePeer final : public detail::TransferSide {
 public:
  std::map<std::string, std::vector<std::string>> dirs;  // path -> listed names
  std::map<std::string, std::string> files;              // path -> content

  std::optional<RemoteFileInfo> stat(const std::string& path) override {
    RemoteFileInfo info;
    if (dirs.count(path)) {
      info.type = RemoteFileInfo::Type::Directory;
      info.mode = 0755;
      return info;
    }
    if (auto it = files.find(path); it != files.end()) {
      info.type = RemoteFileInfo::Type::File;
      info.size = it->second.size();
      info.mode = mode;
      return info;
    }
    return std::nullopt;
  }
  std::vector<std::string> list(const std::string& path) override { return dirs.at(path); }
  void make_dir(const std::string&, std::uint32_t, bool) override {}
  void set_attributes(const std::string&, std::uint32_t, std::optional<std::int64_t>) override {}
  std::unique_ptr<RemoteReader> open_read(const std::string& path) override {
    struct Reader final : RemoteReader {
      std::string data;
      std::size_t read(char* buffer, std::size_t size) override {
        auto n = std::min(size, data.size());
        data.copy(buffer, n);
        data.erase(0, n);
        return n;
      }
    };
    auto r = std::make_unique<Reader>();
    r->data = files.at(path);
    return r;
  }
  std::unique_ptr<RemoteWriter> open_write(const std::string&, std::uint32_t, bool) override {
    throw Error(Code::Internal, "the peer is only read in these tests");
  }
  std::string describe(const std::string& path) const override { return "vm:" + path; }

  std::uint32_t mode = 0644;
};

TEST(ScpSafety, PeerNamesThatClimbOutOrContainSlashesAreRefused) {
  for (std::string evil : {"../escaped", "..", ".", "a/b", "/abs", ""}) {
    TempDir tmp;
    fs::create_directories(tmp / "dst");
    FakePeer peer;
    peer.dirs["tree"] = {"ok", evil};
    peer.files["tree/ok"] = "fine";
    peer.files["tree/" + evil] = "payload";
    auto local = detail::make_local_side();
    try {
      detail::copy(peer, *local, "tree", (tmp / "dst").string(), TransferOptions{true}, false);
      ADD_FAILURE() << "accepted the name '" << evil << "'";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Code::InvalidArgument);
      EXPECT_THAT(e.what(), HasSubstr("not a plain file name"));
    }
    EXPECT_FALSE(fs::exists(tmp / "escaped"));
    EXPECT_FALSE(fs::exists(tmp / "dst" / "escaped"));
    EXPECT_FALSE(fs::exists(tmp / "dst" / "a"));
  }
}

TEST(ScpSafety, ASymlinkFileBelowTheDestinationIsNotWrittenThrough) {
  TempDir tmp;
  fs::create_directories(tmp / "dst" / "tree");
  write_file(tmp / "victim", "original");
  fs::create_symlink(tmp / "victim", tmp / "dst" / "tree" / "f");
  FakePeer peer;
  peer.dirs["tree"] = {"f"};
  peer.files["tree/f"] = "overwritten";
  auto local = detail::make_local_side();
  try {
    detail::copy(peer, *local, "tree", (tmp / "dst").string(), TransferOptions{true}, false);
    ADD_FAILURE() << "wrote through the symlink";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::FailedPrecondition);
    EXPECT_THAT(e.what(), HasSubstr("is a symbolic link: refusing to write through it"));
  }
  EXPECT_EQ(read_file(tmp / "victim"), "original");
}

TEST(ScpSafety, ASymlinkDirectoryBelowTheDestinationIsNotEntered) {
  TempDir tmp;
  fs::create_directories(tmp / "dst" / "tree");
  fs::create_directories(tmp / "outside");
  fs::create_directory_symlink(tmp / "outside", tmp / "dst" / "tree" / "sub");
  FakePeer peer;
  peer.dirs["tree"] = {"sub"};
  peer.dirs["tree/sub"] = {"planted"};
  peer.files["tree/sub/planted"] = "x";
  auto local = detail::make_local_side();
  EXPECT_THROW(detail::copy(peer, *local, "tree", (tmp / "dst").string(), TransferOptions{true}, false),
               Error);
  EXPECT_FALSE(fs::exists(tmp / "outside" / "planted"));
}

TEST(ScpSafety, SetuidAndSetgidBitsAreDropped) {
  TempDir tmp;
  FakePeer peer;
  peer.files["suid"] = "#!/bin/sh\n";
  peer.mode = 06755;
  auto local = detail::make_local_side();
  detail::copy(peer, *local, "suid", (tmp / "copy").string(), TransferOptions{}, false);
  EXPECT_EQ(mode_of(tmp / "copy"), 0755u);
  EXPECT_EQ(read_file(tmp / "copy"), "#!/bin/sh\n");
}

TEST(ScpSafety, TheDestinationTheUserNamedMayItselfBeASymlink) {
  TempDir tmp;
  fs::create_directories(tmp / "real");
  fs::create_directory_symlink(tmp / "real", tmp / "alias");
  FakePeer peer;
  peer.files["f"] = "data";
  auto local = detail::make_local_side();
  detail::copy(peer, *local, "f", (tmp / "alias").string(), TransferOptions{}, false);
  EXPECT_EQ(read_file(tmp / "real" / "f"), "data");
}

}  // namespace
}  // namespace machine::ssh
