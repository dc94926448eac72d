#include "drivers/common/virtiofs.h"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "drivers/common/helper_process.h"
#include "drivers/common/mounts.h"
#include "machine/error.h"
#include "machine/fs.h"
#include "machine/store.h"

namespace machine::drivers::common {
namespace {
using namespace std::chrono_literals;
namespace sfs = std::filesystem;

sfs::path pidfile_for(const VirtiofsShare& s) { return sfs::path(s.socket).replace_extension(".pid"); }
sfs::path log_for(const VirtiofsShare& s) { return sfs::path(s.socket).replace_extension(".log"); }

std::string tail(const sfs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  auto s = ss.str();
  return s.size() > 2000 ? s.substr(s.size() - 2000) : s;
}

}  // namespace

sfs::path mounts_dir(const sfs::path& machine_dir) {
  return machine_dir / std::string(machine_files::kMountsDir);
}

std::vector<VirtiofsShare> virtiofs_shares(const sfs::path& machine_dir, const std::vector<Mount>& mounts) {
  std::vector<VirtiofsShare> out;
  for (size_t i = 0; i < mounts.size(); ++i)
    out.push_back(
        {mount_tag(i), mounts[i].host_dir, mounts_dir(machine_dir) / fmt::format("virtiofs-{}.sock", i)});
  return out;
}

std::optional<sfs::path> find_virtiofsd(ProcessRunner& runner) {
  for (const char* p : {"/usr/lib/qemu/virtiofsd", "/usr/libexec/virtiofsd"})
    if (::access(p, X_OK) == 0) return sfs::path(p);
  return runner.find_program("virtiofsd");
}

std::string virtiofs_unavailable_reason(ProcessRunner& runner) {
  if (!find_virtiofsd(runner))
    return fmt::format("virtiofsd is not installed (Debian package {})", kVirtiofsdPackage);
  if (::geteuid() != 0) return "virtiofsd needs root to keep file ownership; machine runs as a regular user";
  return "";
}

Command virtiofsd_command(const sfs::path& virtiofsd, const VirtiofsShare& s) {
  // cache=auto: host-side edits show up in the guest within a second (metadata timeout 1 s).
  return Command{virtiofsd.string(),
                 {"--socket-path=" + s.socket.string(), "-o", "source=" + s.host_dir, "-o", "cache=auto",
                  "-f", "-o", "log_level=warn"}};
}

std::vector<std::string> qemu_virtiofs_args(int memory_mb, const std::vector<VirtiofsShare>& shares) {
  if (shares.empty()) return {};
  std::vector<std::string> a{"-object",
                             fmt::format("memory-backend-memfd,id=mem,size={}M,share=on", memory_mb), "-numa",
                             "node,memdev=mem"};
  for (size_t i = 0; i < shares.size(); ++i) {
    std::string sock;
    for (char c : shares[i].socket.string()) sock += c == ',' ? std::string(",,") : std::string(1, c);
    a.insert(a.end(), {"-chardev", fmt::format("socket,id=fs{},path={}", i, sock), "-device",
                       fmt::format("vhost-user-fs-pci,chardev=fs{},tag={}", i, shares[i].tag)});
  }
  return a;
}

void start_virtiofsd(ProcessRunner& runner, const sfs::path& machine_dir,
                     const std::vector<VirtiofsShare>& shares) {
  if (shares.empty()) return;
  stop_virtiofsd(machine_dir);
  auto bin = find_virtiofsd(runner);
  if (!bin) fail(Code::FailedPrecondition, virtiofs_unavailable_reason(runner));
  fs::ensure_private_dir(mounts_dir(machine_dir));
  for (const auto& s : shares) {
    if (!sfs::is_directory(s.host_dir))
      fail(Code::FailedPrecondition,
           fmt::format("cannot share {}: it is no longer a directory; recreate it or the machine",
                       s.host_dir));
    start_helper(runner, virtiofsd_command(*bin, s), pidfile_for(s), log_for(s));
  }
  const auto marker = machine_dir.string();
  for (const auto& s : shares) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!sfs::exists(s.socket)) {
      if (!live_helper(pidfile_for(s), marker) || std::chrono::steady_clock::now() > deadline) {
        auto why = tail(log_for(s));
        stop_virtiofsd(machine_dir);
        fail(Code::Internal,
             fmt::format("virtiofsd for {} did not start{}{}", s.host_dir, why.empty() ? "" : ": ", why));
      }
      std::this_thread::sleep_for(10ms);
    }
  }
}

void stop_virtiofsd(const sfs::path& machine_dir) {
  auto dir = mounts_dir(machine_dir);
  std::error_code ec;
  if (!sfs::is_directory(dir, ec)) return;
  for (const auto& e : sfs::directory_iterator(dir, ec)) {
    auto name = e.path().filename().string();
    if (name.rfind("virtiofs-", 0) != 0) continue;
    if (e.path().extension() == ".pid") stop_helper(e.path(), machine_dir.string());
  }
  for (const auto& e : sfs::directory_iterator(dir, ec)) {
    auto name = e.path().filename().string();
    if (name.rfind("virtiofs-", 0) == 0 &&
        (e.path().extension() == ".sock" || e.path().extension() == ".pid"))
      sfs::remove(e.path(), ec);
  }
}

}  // namespace machine::drivers::common
