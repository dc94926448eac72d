#pragma once
// The store's image cache: finds, builds, lists and removes machine OS images under
// <cache_dir>/images/. A build works in a temp dir beside the final one and renames it
// into place only when complete, so a failed or interrupted build leaves nothing.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "guest/image.h"
#include "machine/process_runner.h"

namespace machine::guest {

class ImageCache {
 public:
  // cache_dir is the store's cache (Store::cache_dir()); images live in cache_dir/images.
  ImageCache(std::filesystem::path cache_dir, ProcessRunner& runner);

  // The complete image of this binary's recipe version, if built: in this cache, else in
  // the system-wide one (system_cache_dir()). Never builds.
  std::optional<Image> find_default();
  // find_default(), building it first when missing. Idempotent; concurrent callers wait on
  // one build (flock) instead of building twice.
  Image ensure(const StepCallback& progress = {});
  // Builds the default image; with force, rebuilds even when present (replacing it only
  // once the new one is complete). Throws Error(FailedPrecondition) when not root or a
  // tool is missing, Error(Internal) when a step fails.
  Image build(bool force, const StepCallback& progress = {});
  // Every complete image, newest version first. Half-made or broken dirs are skipped.
  std::vector<Image> list();
  // Removes the image whose id ("machineos-0.1.0-ab12cd34") or version matches.
  // Throws Error(NotFound) when none does.
  void remove(const std::string& name_or_version);

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
  Image build_locked(bool force, const StepCallback& progress);
  std::filesystem::path cache_dir_;
  ProcessRunner& runner_;
};

}  // namespace machine::guest
