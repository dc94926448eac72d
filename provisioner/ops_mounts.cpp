#include "provisioner/ops_mounts.h"

#include <fmt/format.h>

#include <chrono>
#include <thread>

#include "drivers/common/mounts.h"
#include "drivers/common/reverse_sshfs.h"
#include "drivers/common/virtiofs.h"
#include "machine/error.h"

namespace machine::ops::detail {
namespace {
using namespace std::chrono_literals;
namespace common = drivers::common;

constexpr auto kMountTimeout = 60s;

// True when the guest dir is a mount point (another device than its parent) that answers
// (a dead sshfs gives ENOTCONN). Each probe is killed after 10 s: a FUSE mount whose server
// stalls blocks stat and ls, and the SSH command would then never return.
bool mount_answers(ssh::SshSession& s, const Mount& m) {
  auto q = common::shell_quote(m.guest_dir), parent = common::shell_quote(m.guest_dir + "/..");
  constexpr const char* kProbe = "sudo timeout -s KILL 10";
  return s
      .run(
          fmt::format("test \"$({0} stat -c %d {1})\" != \"$({0} stat -c %d {2})\" && {0} ls {1} > /dev/null",
                      kProbe, q, parent))
      .ok();
}

}  // namespace

void plan_mounts(Env& env, const CreateRequest& req, Loaded& m) {
  if (req.no_mounts) {
    if (!req.mounts.empty()) fail(Code::InvalidArgument, "--mount and --no-mounts exclude each other");
    return;
  }
  auto features = m.driver->features();
  common::MountSupport support;
  support.ssh = features.ssh;
  if (features.virtiofs) {
    support.virtiofs_missing = common::virtiofs_unavailable_reason(env.runner);
    support.virtiofs = support.virtiofs_missing.empty();
  } else {
    support.virtiofs_missing = fmt::format("the {} driver cannot attach virtiofs", m.driver->name());
  }
  std::vector<Mount> mounts;
  if (req.mounts.empty()) {
    // The default (the user's home) only on guests we build (features().seed: machine OS
    // has machine-mount and sshfs); a generic host's OS may have neither.
    if (!features.seed || (!support.ssh && !support.virtiofs)) return;
    auto home = common::default_home_mount(req.home);
    if (!home) return;
    mounts.push_back(*home);
  } else {
    for (const auto& spec : req.mounts) mounts.push_back(common::parse_mount(spec));
    mounts = common::validate_mounts(std::move(mounts));
  }
  m.host.options.mount_type = common::choose_mount_type(req.mount_type, support);
  m.host.options.mounts = std::move(mounts);
}

void establish_mounts(Env& env, Loaded& m) {
  const auto& mounts = m.host.options.mounts;
  if (mounts.empty()) return;
  const auto& name = m.host.name;
  auto dir = env.store.machine_dir(name);
  env.progress.step(fmt::format("Mounting {} host director{} ({})...", mounts.size(),
                                mounts.size() == 1 ? "y" : "ies", m.host.options.mount_type));
  auto session = connect_ssh(env, m, 120s);
  with_context(fmt::format("cannot mount host directories in machine '{}'", name), [&] {
    if (m.host.options.mount_type == common::kVirtiofs) {
      for (size_t i = 0; i < mounts.size(); ++i) {
        auto r = session->run(common::guest_virtiofs_command(common::mount_tag(i), mounts[i]));
        if (!r.ok())
          fail(Code::Unavailable, fmt::format("mounting {} at {} failed: {}", mounts[i].host_dir,
                                              mounts[i].guest_dir, r.err.empty() ? r.out : r.err));
      }
      return;
    }
    auto ep = ssh_endpoint(env, m);
    common::SshLogin login{ep.host, ep.port, ep.user, ep.private_key, ep.known_hosts};
    for (size_t i = 0; i < mounts.size(); ++i)
      if (!common::reverse_sshfs_alive(dir, i) || !mount_answers(*session, mounts[i]))
        common::start_reverse_sshfs(env.runner, dir, login, mounts[i], i);
    for (size_t i = 0; i < mounts.size(); ++i) {
      auto deadline = std::chrono::steady_clock::now() + kMountTimeout;
      while (!mount_answers(*session, mounts[i])) {
        if (!common::reverse_sshfs_alive(dir, i) || std::chrono::steady_clock::now() > deadline) {
          auto log = common::reverse_sshfs_log(dir, i);
          common::stop_reverse_sshfs(dir);
          fail(Code::Unavailable,
               fmt::format("sshfs mount of {} at {} did not come up{}{}", mounts[i].host_dir,
                           mounts[i].guest_dir, log.empty() ? "" : ": ", log));
        }
        std::this_thread::sleep_for(200ms);
      }
    }
  });
}

void stop_mount_helpers(Env& env, const std::string& name) {
  common::stop_reverse_sshfs(env.store.machine_dir(name));
}

}  // namespace machine::ops::detail

namespace machine::ops {

void mount_on_host(Env& env, const std::string& name, const std::string& guest_dir,
                   const std::string& local_dir) {
  if (!std::filesystem::path(guest_dir).is_absolute())
    fail(Code::InvalidArgument, fmt::format("\"{}\" is not an absolute path in the machine", guest_dir));
  if (!std::filesystem::is_directory(local_dir))
    fail(Code::InvalidArgument,
         fmt::format("local directory \"{}\" does not exist; create it first", local_dir));
  require_program(env.runner, "sshfs", "sshfs");
  auto ep = ssh_endpoint(env, name);  // running, host key pinned
  auto c = drivers::common::host_sshfs_command({ep.host, ep.port, ep.user, ep.private_key, ep.known_hosts},
                                               guest_dir, local_dir);
  c.timeout = std::chrono::seconds(60);
  run_checked(env.runner, c, "sshfs");
}

void unmount_on_host(Env& env, const std::string& local_dir) {
  // fuse3 ships fusermount3; fuse (2) ships fusermount, which docker-machine called.
  std::string tool = env.runner.find_program("fusermount3") ? "fusermount3" : "fusermount";
  require_program(env.runner, tool, "fuse3");
  Command c{tool, {"-u", local_dir}};
  c.timeout = std::chrono::seconds(30);
  run_checked(env.runner, c, tool);
}

}  // namespace machine::ops
