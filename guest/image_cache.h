#pragma once
// The store's image cache: finds, builds, lists and removes machine OS images under
// <cache_dir>/images/. A build works in a temp dir beside the final one and renames it
// into place only when complete, so a failed or interrupted build leaves nothing.
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "guest/image.h"
#include "guest/recipe.h"
#include "machine/process_runner.h"

namespace machine::guest {

// A create's hold on the cache (a shared flock on images/.lock): `image build --force` and
// `image rm`, which lock it exclusively, wait until no create is between choosing an image
// and recording it in its config. Released on destruction.
class ImageUse {
 public:
  ImageUse(ImageUse&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  ImageUse& operator=(ImageUse&&) = delete;
  ImageUse(const ImageUse&) = delete;
  ~ImageUse();

 private:
  friend class ImageCache;
  explicit ImageUse(int fd) : fd_(fd) {}
  int fd_;
};

// Called under the cache's exclusive lock with the image about to be replaced or removed;
// throws to refuse (e.g. machines still use it).
using ImageCheck = std::function<void(const Image&)>;

class ImageCache {
 public:
  // cache_dir is the store's cache (Store::cache_dir()); images live in cache_dir/images.
  ImageCache(std::filesystem::path cache_dir, ProcessRunner& runner);

  // The complete image of this binary's recipe version for `suite`, if built: in this
  // cache, else in the system-wide one (system_cache_dir()). Never builds.
  std::optional<Image> find(std::string_view suite);
  // find() of the default suite (kDefaultSuite): what create boots.
  std::optional<Image> find_default() { return find(kDefaultSuite); }
  // find_default(), building it first when missing. Idempotent; concurrent callers wait on
  // one build (flock) instead of building twice.
  Image ensure(const StepCallback& progress = {});
  // Builds the default image; with force, rebuilds even when present (replacing it only
  // once the new one is complete). Throws Error(FailedPrecondition) when not root or a
  // tool is missing, Error(Internal) when a step fails.
  // With force, `before_replace` sees the current image (if any) under the lock first.
  // `suite` is the Debian suite (one of suites(); Error(InvalidArgument) otherwise).
  Image build(bool force, const StepCallback& progress = {}, const ImageCheck& before_replace = {},
              std::string_view suite = kDefaultSuite);
  // A shared hold on the cache (see ImageUse). Holds nothing when the lock file cannot be
  // opened (a read-only cache nobody can change either). Honours Ctrl-C while waiting.
  ImageUse use();
  // Every complete image, newest version first. Half-made or broken dirs are skipped.
  std::vector<Image> list();
  // Removes the image whose id ("machineos-0.1.0-ab12cd34") or version matches.
  // Throws Error(NotFound) when none does.
  // `before_remove` sees it under the lock first.
  void remove(const std::string& name_or_version, const ImageCheck& before_remove = {});

  std::filesystem::path images_dir() const { return cache_dir_ / "images"; }
  // The image cache every user's store reads (non-root users cannot build images: root
  // builds once with `machine image build --system`): $MACHINE_SYSTEM_IMAGE_CACHE, else
  // /var/cache/machine. Images there are world-readable.
  static std::filesystem::path system_cache_dir();
  // .deb packages kept between builds so a rebuild downloads nothing.
  std::filesystem::path deb_cache_dir() const { return cache_dir_ / "debs"; }

  // Reads an image dir; nullopt unless manifest.json and every file it names are present
  // with the recorded sizes.
  static std::optional<Image> load(const std::filesystem::path& dir);

 private:
  Image build_locked(bool force, const StepCallback& progress, const ImageCheck& before_replace,
                     std::string_view suite);
  std::filesystem::path cache_dir_;
  ProcessRunner& runner_;
};

}  // namespace machine::guest
