#include "guest/image_cache.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "guest/image_build.h"
#include "guest/recipe.h"
#include "guest/recipe_files.h"
#include "machine/cancel.h"
#include "machine/error.h"

namespace machine::guest {
namespace fs = std::filesystem;
namespace {

// Serialises builds and removals across processes (two `machine create` at once, or
// parallel tests, share one build). Released by the destructor.
class DirLock {
 public:
  explicit DirLock(const fs::path& file) {
    fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) fail(Code::Internal, fmt::format("cannot open {}: {}", file.string(), std::strerror(errno)));
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno != EINTR)
        fail(Code::Internal, fmt::format("cannot lock {}: {}", file.string(), std::strerror(errno)));
    }
  }
  ~DirLock() { ::close(fd_); }
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

 private:
  int fd_ = -1;
};

struct RemoveOnExit {
  fs::path path;
  ~RemoveOnExit() {
    std::error_code ec;
    if (!path.empty()) fs::remove_all(path, ec);
  }
};

}  // namespace

std::string Image::kernel_cmdline() const {
  if (manifest.contains("kernel_cmdline") && manifest["kernel_cmdline"].is_string())
    return manifest["kernel_cmdline"].get<std::string>();
  return guest::kernel_cmdline();
}

ImageCache::ImageCache(fs::path cache_dir, ProcessRunner& runner)
    : cache_dir_(std::move(cache_dir)), runner_(runner) {}

std::optional<Image> ImageCache::load(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_regular_file(dir / "manifest.json", ec)) return std::nullopt;
  Image img;
  try {
    std::ifstream in(dir / "manifest.json");
    img.manifest = nlohmann::json::parse(in);
    img.name = img.manifest.at("name").get<std::string>();
    img.version = img.manifest.at("version").get<std::string>();
    const auto& files = img.manifest.at("files");
    for (auto [role, target] :
         {std::pair{"kernel", &img.kernel}, {"initrd", &img.initrd}, {"disk", &img.disk}}) {
      const auto& f = files.at(role);
      *target = dir / f.at("name").get<std::string>();
      if (fs::file_size(*target, ec) != f.at("size").get<std::uintmax_t>() || ec) return std::nullopt;
    }
  } catch (const std::exception&) {
    return std::nullopt;  // half-made or foreign: not an image
  }
  img.dir = dir;
  return img;
}

fs::path ImageCache::system_cache_dir() {
  const char* env = std::getenv("MACHINE_SYSTEM_IMAGE_CACHE");
  return env && *env ? fs::path(env) : fs::path("/var/cache/machine");
}

std::optional<Image> ImageCache::find(std::string_view suite) {
  const std::string id = std::string(kImageName) + "-" + image_version(suite);
  if (auto own = load(images_dir() / id)) return own;
  std::error_code ec;
  auto system = system_cache_dir() / "images";
  if (fs::equivalent(system, images_dir(), ec)) return std::nullopt;
  return load(system / id);
}

Image ImageCache::ensure(const StepCallback& progress) {
  if (auto img = find_default()) return *img;
  return build(false, progress);
}

Image ImageCache::build(bool force, const StepCallback& progress, const ImageCheck& before_replace,
                        std::string_view suite) {
  check_suite(suite);
  check_build_prerequisites(runner_);
  fs::create_directories(images_dir());
  DirLock lock(images_dir() / ".lock");
  return with_context("cannot build the machine OS image",
                      [&] { return build_locked(force, progress, before_replace, suite); });
}

ImageUse::~ImageUse() {
  if (fd_ >= 0) ::close(fd_);  // releases the shared flock
}

ImageUse ImageCache::use() {
  auto file = images_dir() / ".lock";
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    std::error_code ec;
    fs::create_directories(images_dir(), ec);
    fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  }
  if (fd < 0) return ImageUse(-1);
  while (::flock(fd, LOCK_SH | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) {
      int err = errno;
      ::close(fd);
      fail(Code::Internal, fmt::format("cannot lock {}: {}", file.string(), std::strerror(err)));
    }
    if (cancel_requested()) {
      ::close(fd);
      throw_if_cancelled();
    }
    ::usleep(50 * 1000);
  }
  return ImageUse(fd);
}

Image ImageCache::build_locked(bool force, const StepCallback& progress, const ImageCheck& before_replace,
                               std::string_view suite) {
  const std::string id = std::string(kImageName) + "-" + image_version(suite);
  if (!force) {
    if (auto img = load(images_dir() / id)) return *img;  // another process built it while we waited
  } else if (before_replace) {
    if (auto current = load(images_dir() / id)) before_replace(*current);
  }
  // Leftovers of interrupted builds: nobody else builds while we hold the lock.
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(images_dir(), ec)) {
    const std::string n = e.path().filename().string();
    if (n.rfind(".build-", 0) == 0 || n.rfind(".old-", 0) == 0) fs::remove_all(e.path(), ec);
  }

  BuildPaths paths;
  paths.work_dir = images_dir() / fmt::format(".build-{}-{}", id, ::getpid());
  paths.deb_cache = deb_cache_dir();
  RemoveOnExit cleanup{paths.work_dir};
  fs::create_directories(paths.work_dir);
  RecipeOptions opts;
  opts.version = image_version(suite);
  opts.suite = std::string(suite);
  if (const char* mirror = std::getenv("MACHINE_DEBIAN_MIRROR")) opts.mirror = mirror;
  build_image(runner_, paths, opts, progress);

  const fs::path final_dir = images_dir() / id;
  if (fs::exists(final_dir)) {
    const fs::path old = images_dir() / fmt::format(".old-{}-{}", id, ::getpid());
    fs::rename(final_dir, old);
    fs::rename(paths.out_dir(), final_dir);
    fs::remove_all(old, ec);
  } else {
    fs::rename(paths.out_dir(), final_dir);
  }
  // Readable by every user whose store falls back to this cache (the work dir was 0700).
  fs::permissions(final_dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                 fs::perms::others_read | fs::perms::others_exec);
  for (const auto& e : fs::directory_iterator(final_dir))
    fs::permissions(e.path(), fs::perms::others_read | fs::perms::group_read, fs::perm_options::add);
  auto img = load(final_dir);
  if (!img) fail(Code::Internal, fmt::format("built image in {} does not load", final_dir.string()));
  return *img;
}

std::vector<Image> ImageCache::list() {
  std::vector<Image> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(images_dir(), ec)) {
    if (e.path().filename().string().front() == '.') continue;
    if (auto img = load(e.path())) out.push_back(std::move(*img));
  }
  std::sort(out.begin(), out.end(), [](const Image& a, const Image& b) {
    return a.manifest.value("built_at", "") > b.manifest.value("built_at", "");
  });
  return out;
}

void ImageCache::remove(const std::string& name_or_version, const ImageCheck& before_remove) {
  fs::create_directories(images_dir());
  DirLock lock(images_dir() / ".lock");
  for (const auto& img : list()) {
    if (img.id() == name_or_version || img.version == name_or_version) {
      if (before_remove) before_remove(img);
      fs::remove_all(img.dir);
      return;
    }
  }
  fail(Code::NotFound, fmt::format("image '{}' not found in {}", name_or_version, images_dir().string()));
}

}  // namespace machine::guest
