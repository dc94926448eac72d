#include "machine/store.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "machine/cancel.h"
#include "machine/error.h"
#include "machine/fs.h"

namespace machine {

MachineLock::MachineLock(MachineLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

MachineLock::~MachineLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

Store::Store(std::filesystem::path root) : root_(std::move(root)) {}

std::filesystem::path Store::resolve_root(const std::optional<std::string>& flag) {
  if (flag && !flag->empty()) return std::filesystem::absolute(*flag);
  if (const char* env = std::getenv("MACHINE_STORAGE_PATH"); env && *env)
    return std::filesystem::absolute(env);
  const char* home = std::getenv("HOME");
  if (!home || !*home)
    fail(Code::FailedPrecondition, "cannot find the store: set HOME or MACHINE_STORAGE_PATH");
  return std::filesystem::path(home) / ".docker" / "machine";
}

std::string machine_not_found_message(const std::string& name) {
  return fmt::format(
      "Docker machine \"{}\" does not exist. Use \"machine ls\" to list machines. Use \"machine create\" to "
      "add a new one.",
      name);
}

std::filesystem::path Store::machine_dir(const std::string& name) const {
  require_valid_machine_name(name);
  return machines_dir() / name;
}

void Store::require_socket_paths_fit(const std::string& name) const {
  for (auto socket : machine_files::kSockets) {
    auto path = machine_file(name, socket).string();
    if (path.size() >= kUnixSocketPathMax)
      fail(Code::InvalidArgument,
           fmt::format(
               "machine name \"{}\" is too long for the store {}: its socket {} would have {} characters, "
               "at most {} fit a unix socket address; use a shorter name or a shorter storage path (-s)",
               name, root_.string(), path, path.size(), kUnixSocketPathMax - 1));
  }
}

bool Store::exists(const std::string& name) const {
  std::error_code ec;
  return std::filesystem::is_directory(machine_dir(name), ec);
}

std::vector<std::string> Store::list() const {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(machines_dir(), ec)) {
    auto name = entry.path().filename().string();
    if (name.empty() || name[0] == '.') continue;  // temp dirs of creates in progress
    if (entry.is_directory(ec)) names.push_back(name);
  }
  return names;
}

Host Store::load(const std::string& name) const {
  if (!exists(name)) fail(Code::NotFound, machine_not_found_message(name));
  auto path = machine_file(name, machine_files::kConfig);
  try {
    auto text = fs::read_file(path);
    auto j = nlohmann::json::parse(text);
    Host h = host_from_json(j);
    if (h.name != name) fail(Code::InvalidArgument, fmt::format("it names machine '{}'", h.name));
    return h;
  } catch (const nlohmann::json::exception& e) {
    fail(Code::Internal, fmt::format("cannot read config of '{}': {}: {}", name, path.string(), e.what()));
  } catch (const Error& e) {
    fail(Code::Internal, fmt::format("cannot read config of '{}': {}", name, e.what()));
  }
}

void Store::save(const Host& host) const {
  fs::write_file_atomic(machine_file(host.name, machine_files::kConfig), to_json(host).dump(4) + "\n", 0600);
}

void Store::create_machine_dir(const std::string& name) const {
  fs::ensure_private_dir(root_);
  fs::ensure_private_dir(machines_dir());
  fs::ensure_private_dir(certs_dir());
  auto dir = machine_dir(name);
  if (::mkdir(dir.c_str(), 0700) != 0) {
    if (errno == EEXIST) fail(Code::AlreadyExists, fmt::format("Docker machine \"{}\" already exists", name));
    fail(Code::Internal, fmt::format("cannot create {}: {}", dir.string(), std::strerror(errno)));
  }
}

void Store::remove(const std::string& name) const {
  const auto dir = machine_dir(name);
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::symlink_status(dir, ec))) return;  // already gone
  // Defence in depth behind the name rule: delete only a direct child of machines/.
  if (!fs::is_direct_child(machines_dir(), dir))
    fail(Code::Internal, fmt::format("refusing to remove {}: not a machine directory of the store {}",
                                     dir.string(), root_.string()));
  std::filesystem::remove_all(dir, ec);  // never follows a symlink, at the top or below
  if (ec) fail(Code::Internal, fmt::format("cannot remove {}: {}", dir.string(), ec.message()));
  // The lock file stays: unlinking it while another process waits on it would let a third
  // process lock a new file at the same path at the same time.
}

namespace {
// `file` is a machine name (validated by the callers) or "_<resource>".
int open_lock_file(const std::filesystem::path& root, const std::string& file) {
  auto dir = root / "locks";
  fs::ensure_private_dir(dir);
  auto path = dir / (file + ".lock");
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    fail(Code::Internal, fmt::format("cannot open lock {}: {}", path.string(), std::strerror(errno)));
  return fd;
}

int lock_blocking(int fd, const std::string& what) {
  // Polls instead of blocking in flock(): Ctrl-C (machine/cancel.h) while another command
  // holds the lock ends this one at once, with nothing changed.
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) {
      int err = errno;
      ::close(fd);
      fail(Code::Internal, fmt::format("cannot lock {}: {}", what, std::strerror(err)));
    }
    try {
      throw_if_cancelled();
    } catch (...) {
      ::close(fd);
      throw;
    }
    ::usleep(20 * 1000);
  }
  return fd;
}
}  // namespace

MachineLock Store::lock(const std::string& name) const {
  require_valid_machine_name(name);
  return MachineLock(lock_blocking(open_lock_file(root_, name), fmt::format("machine '{}'", name)));
}

MachineLock Store::lock_resource(std::string_view resource) const {
  // Internal names only: lowercase letters and '-', so they are never paths. The '_' prefix
  // keeps them apart from machine names, which cannot start with it.
  if (resource.empty() || resource.find_first_not_of("abcdefghijklmnopqrstuvwxyz-") != std::string_view::npos)
    fail(Code::Internal, fmt::format("bad lock name '{}'", resource));
  std::string file = "_" + std::string(resource);
  return MachineLock(lock_blocking(open_lock_file(root_, file), "'" + file + "'"));
}

}  // namespace machine
