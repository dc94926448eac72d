#include "drivers/common/mounts.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "machine/error.h"

namespace machine::drivers::common {
namespace {
namespace fs = std::filesystem;

// Guest directories a mount may neither cover nor sit inside: the machine's OS, its engine
// state and the docker user's home (SSH keys live there).
const std::vector<std::string>& system_dirs() {
  static const std::vector<std::string> dirs = {"/bin",
                                                "/boot",
                                                "/dev",
                                                "/etc",
                                                "/lib",
                                                "/lib64",
                                                "/proc",
                                                "/run",
                                                "/sbin",
                                                "/sys",
                                                "/usr",
                                                "/var/lib/docker",
                                                "/var/lib/containerd",
                                                "/var/lib/machine",
                                                "/var/run",
                                                "/var/log",
                                                "/home/docker"};
  return dirs;
}
// Guest directories a mount may sit inside but not replace.
const std::vector<std::string>& top_dirs() {
  static const std::vector<std::string> dirs = {"/",    "/home", "/var", "/var/lib", "/tmp",
                                                "/mnt", "/opt",  "/srv", "/media"};
  return dirs;
}

// a == b or a is an ancestor of b, component-wise ("/a" contains "/a/b", not "/ab").
bool contains(const std::string& a, const std::string& b) {
  if (a == b || a == "/") return true;
  return b.size() > a.size() && b.compare(0, a.size(), a) == 0 && b[a.size()] == '/';
}

std::string normalise(const std::string& p) {
  auto s = fs::path(p).lexically_normal().string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

std::string describe(const Mount& m) {
  return fmt::format("{}:{}{}", m.host_dir, m.guest_dir, m.read_only ? ":ro" : "");
}

void check_chars(const Mount& m, const std::string& p) {
  // ',' separates QEMU/virtiofsd options; control characters break the guest command line.
  if (p.find(',') != std::string::npos ||
      std::any_of(p.begin(), p.end(), [](unsigned char c) { return c < 0x20; }))
    fail(Code::InvalidArgument,
         fmt::format("invalid --mount {}: \"{}\" contains a comma or a control character; rename or link the "
                     "directory",
                     describe(m), p));
}

}  // namespace

Mount parse_mount(const std::string& spec) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t i = 0; i <= spec.size(); ++i)
    if (i == spec.size() || spec[i] == ':') {
      parts.push_back(spec.substr(start, i - start));
      start = i + 1;
    }
  Mount m;
  if (parts.size() > 1 && (parts.back() == "ro" || parts.back() == "rw")) {
    m.read_only = parts.back() == "ro";
    parts.pop_back();
  }
  if (parts.empty() || parts.size() > 2 || parts[0].empty() || (parts.size() == 2 && parts[1].empty()))
    fail(
        Code::InvalidArgument,
        fmt::format("invalid --mount \"{}\": expected HOST_DIR[:GUEST_DIR][:ro], e.g. --mount $HOME/src:/src",
                    spec));
  m.host_dir = parts[0];
  m.guest_dir = parts.size() == 2 ? parts[1] : parts[0];
  return m;
}

std::vector<Mount> validate_mounts(std::vector<Mount> mounts) {
  for (auto& m : mounts) {
    if (!fs::path(m.host_dir).is_absolute())
      fail(Code::InvalidArgument,
           fmt::format("invalid --mount {}: host directory \"{}\" is a relative path; give an absolute one "
                       "(e.g. \"$PWD/{}\")",
                       describe(m), m.host_dir, m.host_dir));
    if (!fs::path(m.guest_dir).is_absolute())
      fail(
          Code::InvalidArgument,
          fmt::format("invalid --mount {}: machine directory \"{}\" is a relative path; give an absolute one",
                      describe(m), m.guest_dir));
    check_chars(m, m.host_dir);
    check_chars(m, m.guest_dir);
    m.host_dir = normalise(m.host_dir);
    m.guest_dir = normalise(m.guest_dir);
    std::error_code ec;
    auto st = fs::status(m.host_dir, ec);
    if (!fs::exists(st))
      fail(Code::InvalidArgument,
           fmt::format("invalid --mount {}: host directory \"{}\" does not exist; create it first",
                       describe(m), m.host_dir));
    if (!fs::is_directory(st))
      fail(Code::InvalidArgument,
           fmt::format("invalid --mount {}: \"{}\" is not a directory", describe(m), m.host_dir));
    for (const auto& d : system_dirs())
      if (contains(m.guest_dir, d) || contains(d, m.guest_dir))
        fail(Code::InvalidArgument,
             fmt::format(
                 "invalid --mount {}: machine directory \"{}\" would hide or change {}, which the machine "
                 "needs; choose another path (e.g. under /mnt or the same path as on the host)",
                 describe(m), m.guest_dir, d));
    for (const auto& d : top_dirs())
      if (m.guest_dir == d)
        fail(Code::InvalidArgument,
             fmt::format(
                 "invalid --mount {}: machine directory \"{}\" would hide the machine's own {}; choose a "
                 "directory below it",
                 describe(m), m.guest_dir, d));
  }
  for (size_t i = 0; i < mounts.size(); ++i)
    for (size_t j = i + 1; j < mounts.size(); ++j)
      if (contains(mounts[i].guest_dir, mounts[j].guest_dir) ||
          contains(mounts[j].guest_dir, mounts[i].guest_dir))
        fail(Code::InvalidArgument,
             fmt::format("invalid --mount: {} and {} overlap in the machine; give them separate directories",
                         describe(mounts[i]), describe(mounts[j])));
  return mounts;
}

std::optional<Mount> default_home_mount(const std::string& home) {
  if (home.empty()) return std::nullopt;
  try {
    return validate_mounts({Mount{home, home, false}}).front();
  } catch (const Error&) {
    return std::nullopt;
  }
}

std::string choose_mount_type(const std::string& requested, const MountSupport& support) {
  if (requested.empty()) {
    if (support.virtiofs) return kVirtiofs;
    if (support.ssh) return kSshfs;
    fail(Code::InvalidArgument,
         "this driver cannot share host directories (no virtiofs, no SSH); use --no-mounts");
  }
  if (requested == kVirtiofs) {
    if (!support.virtiofs)
      fail(Code::InvalidArgument,
           fmt::format("--mount-type virtiofs is not available{}{}; use --mount-type sshfs",
                       support.virtiofs_missing.empty() ? "" : ": ", support.virtiofs_missing));
    return kVirtiofs;
  }
  if (requested == kSshfs) {
    if (!support.ssh) fail(Code::InvalidArgument, "--mount-type sshfs needs a driver with SSH access");
    return kSshfs;
  }
  fail(Code::InvalidArgument, fmt::format("invalid --mount-type \"{}\": use virtiofs or sshfs", requested));
}

std::string mount_tag(size_t index) { return fmt::format("mount{}", index); }

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace machine::drivers::common
