#include "provisioner/ssh/scp.h"

#include <fmt/format.h>

#include <map>

#include "machine/error.h"
#include "provisioner/ssh/scp_sides.h"

namespace machine::ssh {
namespace {

using detail::TransferSide;
using Type = RemoteFileInfo::Type;

constexpr std::size_t kChunk = 1 << 20;  // big buffers let libssh2 pipeline SFTP writes

std::string base_name(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string join(const std::string& dir, const std::string& name) {
  if (dir.empty() || dir == ".") return name;
  return dir.back() == '/' ? dir + name : dir + "/" + name;
}

// Setuid/setgid never travel: a copied file must not gain privileges on its new host.
std::uint32_t safe_mode(std::uint32_t mode) { return mode & 01777; }

bool plain_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

class Copier {
 public:
  Copier(TransferSide& from, TransferSide& to, const TransferOptions& options)
      : from_(from), to_(to), options_(options) {}

  // scp's rules: into an existing directory by name, else to the given path.
  void copy(const std::string& src, const std::string& dst, bool many_sources) {
    auto info = from_.stat(src);
    if (!info) fail(Code::NotFound, fmt::format("{}: no such file or directory", from_.describe(src)));
    auto dst_info = to_.stat(dst);
    std::string target = dst;
    if (dst_info && dst_info->type == Type::Directory) {
      std::string name = base_name(src);
      if (!name.empty() && name != "." && name != "/") target = join(dst, name);
    } else if (many_sources) {
      fail(Code::InvalidArgument, fmt::format("{}: not a directory", to_.describe(dst)));
    }
    if (info->type == Type::Directory) {
      if (!options_.recursive)
        fail(Code::InvalidArgument, fmt::format("{}: is a directory (use -r)", from_.describe(src)));
      copy_tree(src, target, *info, false);
    } else if (info->type == Type::File) {
      copy_file(src, target, *info, false);
    } else {
      fail(Code::InvalidArgument, fmt::format("{}: not a regular file", from_.describe(src)));
    }
  }

 private:
  // `inner`: target lies below the destination the user named, so it is created without
  // following a symlink found there.
  void copy_tree(const std::string& src, const std::string& target, const RemoteFileInfo& info, bool inner) {
    auto existing = to_.stat(target);
    if (existing && existing->type != Type::Directory)
      fail(Code::AlreadyExists, fmt::format("{}: exists and is not a directory", to_.describe(target)));
    // Owner-writable while filling it; the source's mode is applied afterwards.
    to_.make_dir(target, 0700, inner);
    for (const auto& name : from_.list(src)) {
      if (!plain_name(name))
        fail(Code::InvalidArgument, fmt::format("{}: refusing an entry named \"{}\": not a plain file name",
                                                from_.describe(src), name));
      std::string child = join(src, name);
      auto child_info = from_.stat(child);  // follows symlinks, as scp -r does
      if (!child_info) continue;            // a dangling symlink
      if (child_info->type == Type::Directory)
        copy_tree(child, join(target, name), *child_info, true);
      else if (child_info->type == Type::File)
        copy_file(child, join(target, name), *child_info, true);
    }
    to_.set_attributes(target, safe_mode(info.mode), std::nullopt);
  }

  void copy_file(const std::string& src, const std::string& target, const RemoteFileInfo& info, bool inner) {
    if (options_.delta) {
      auto existing = to_.stat(target);
      if (existing && existing->type == Type::File && existing->size == info.size &&
          existing->mtime == info.mtime) {
        if (options_.on_file) options_.on_file(from_.describe(src), to_.describe(target), info.size, true);
        return;
      }
    }
    auto reader = from_.open_read(src);
    auto writer = to_.open_write(target, 0600, inner);
    // Always ask for a whole chunk (libssh2 sizes its SFTP read-ahead by the request) and write
    // whole chunks (its SFTP writes pipeline best when big); an SFTP read returns less.
    std::string scratch(kChunk, '\0');
    std::string pending;
    pending.reserve(2 * kChunk);
    std::uint64_t total = 0;
    while (std::size_t n = reader->read(scratch.data(), scratch.size())) {
      pending.append(scratch.data(), n);
      total += n;
      if (pending.size() >= kChunk) {
        writer->write(pending);
        pending.clear();
      }
    }
    if (!pending.empty()) writer->write(pending);
    writer->close();
    to_.set_attributes(target, safe_mode(info.mode),
                       options_.delta ? std::optional<std::int64_t>(info.mtime) : std::nullopt);
    if (options_.on_file) options_.on_file(from_.describe(src), to_.describe(target), total, false);
  }

  TransferSide& from_;
  TransferSide& to_;
  const TransferOptions& options_;
};

}  // namespace

namespace detail {
void copy(TransferSide& from, TransferSide& to, const std::string& src, const std::string& dst,
          const TransferOptions& options, bool many_sources) {
  Copier(from, to, options).copy(src, dst, many_sources);
}
}  // namespace detail

std::string normalize_remote_path(const std::string& path) {
  if (path.empty() || path == "~" || path == "~/") return ".";
  if (path.starts_with("~/")) return path.substr(2);
  return path;
}

void upload(SshSession& session, const std::filesystem::path& local, const std::string& remote,
            const TransferOptions& options) {
  auto from = detail::make_local_side();
  auto to = detail::make_remote_side(session, "remote");
  Copier(*from, *to, options).copy(local.string(), normalize_remote_path(remote), false);
}

void download(SshSession& session, const std::string& remote, const std::filesystem::path& local,
              const TransferOptions& options) {
  auto from = detail::make_remote_side(session, "remote");
  auto to = detail::make_local_side();
  Copier(*from, *to, options).copy(normalize_remote_path(remote), local.string(), false);
}

void run_scp(const ScpRequest& request, const MachineResolver& resolve, SshClient& client,
             const ScpOptions& options) {
  std::map<std::string, std::unique_ptr<SshSession>> sessions;
  std::map<std::string, std::unique_ptr<TransferSide>> sides;
  auto side_for = [&](const ScpLocation& loc) -> TransferSide& {
    std::string key = loc.is_remote() ? loc.user + "@" + loc.machine : "";
    auto it = sides.find(key);
    if (it != sides.end()) return *it->second;
    if (!loc.is_remote()) return *(sides[key] = detail::make_local_side());
    SshEndpoint endpoint = resolve(loc.machine);
    if (!loc.user.empty()) endpoint.user = loc.user;
    SshOptions ssh = options.ssh;
    ssh.machine_name = loc.machine;
    auto& session = sessions[key] = client.connect(endpoint, ssh);
    std::string label = loc.user.empty() ? loc.machine : loc.user + "@" + loc.machine;
    return *(sides[key] = detail::make_remote_side(*session, label));
  };
  auto path_of = [](const ScpLocation& loc) {
    return loc.is_remote() ? normalize_remote_path(loc.path) : loc.path;
  };

  TransferOptions transfer{request.recursive, request.delta, nullptr};
  if (!request.quiet && options.on_progress) {
    transfer.on_file = [&](const std::string& from, const std::string& to, std::uint64_t bytes,
                           bool skipped) {
      options.on_progress(skipped ? fmt::format("{} -> {} (unchanged, skipped)", from, to)
                                  : fmt::format("{} -> {} ({} bytes)", from, to, bytes));
    };
  }
  with_context("scp", [&] {
    TransferSide& to = side_for(request.destination);
    for (const auto& src : request.sources) {
      TransferSide& from = side_for(src);
      Copier(from, to, transfer).copy(path_of(src), path_of(request.destination), request.sources.size() > 1);
    }
  });
}

}  // namespace machine::ssh
