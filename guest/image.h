#pragma once
// A built machine OS image in the store's cache: <cache>/images/<name>-<version>/ holding
// vmlinuz, initrd.img, disk.qcow2 (zstd-compressed, bootable on its own) and manifest.json.
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace machine::guest {

struct Image {
  std::string name;     // "machineos"
  std::string version;  // image_version() of the recipe that built it
  std::filesystem::path dir;
  std::filesystem::path kernel;  // for direct kernel boot (-kernel)
  std::filesystem::path initrd;  // (-initrd)
  std::filesystem::path disk;    // qcow2 base: machines use an overlay on it, never write it
  nlohmann::json manifest;

  // The command line to boot `kernel` with (-append), from the manifest.
  std::string kernel_cmdline() const;
  // "<name>-<version>", the directory name.
  std::string id() const { return name + "-" + version; }
};

// Build progress: one short line per step ("installing Debian packages"). The CLI decides
// whether to show it.
using StepCallback = std::function<void(std::string_view step)>;

}  // namespace machine::guest
