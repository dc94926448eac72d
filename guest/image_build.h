#pragma once
// The build steps of one image, run inside a work directory. ImageCache owns locking,
// the temp dir and the final rename; this only turns a recipe into files.
#include <filesystem>

#include "guest/image.h"
#include "guest/recipe.h"
#include "machine/process_runner.h"

namespace machine::guest {

// Checks what a build needs: root, mmdebstrap, mkfs.ext4, qemu-img, extlinux, xz. Throws
// Error(FailedPrecondition) naming the Debian package to install.
void check_build_prerequisites(ProcessRunner& runner);

// Builds into paths.out_dir(): vmlinuz, initrd.img, disk.qcow2, manifest.json. Leaves
// the rest of work_dir for the caller to delete.
void build_image(ProcessRunner& runner, const BuildPaths& paths, const RecipeOptions& opts,
                 const StepCallback& progress);

}  // namespace machine::guest
