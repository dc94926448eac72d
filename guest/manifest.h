#pragma once
// manifest.json of a built image: what went in (package versions), what came out (file
// sizes and SHA-256), when and how long the build took, how to boot it.
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace machine::guest {

struct PackageInfo {
  std::string name;
  std::string version;
  long installed_kib = 0;
};

struct ImageFile {
  std::string role;  // "kernel", "initrd", "disk"
  std::string name;  // file name inside the image dir
  std::uintmax_t size = 0;
  std::string sha256;  // lowercase hex
};

struct ManifestInput {
  std::string name;
  std::string version;
  std::string suite;
  std::string kernel_version;
  std::string kernel_cmdline;
  std::chrono::system_clock::time_point built_at;
  double build_seconds = 0;
  std::vector<std::pair<std::string, double>> step_seconds;  // where the build time went
  std::uintmax_t rootfs_bytes = 0;
  std::vector<PackageInfo> packages;
  std::vector<ImageFile> files;
};

inline constexpr int kManifestSchema = 1;

nlohmann::json make_manifest(const ManifestInput& in);

// Parses customize.sh's packages.tsv ("name\tversion\tinstalled-size-KiB" lines).
std::vector<PackageInfo> parse_packages_tsv(std::string_view tsv);

// Lowercase hex SHA-256 of a file's content. Throws Error(NotFound/Internal).
std::string sha256_file(const std::filesystem::path& file);

// "2026-11-23T11:20:05Z"
std::string iso8601_utc(std::chrono::system_clock::time_point t);

}  // namespace machine::guest
