#pragma once
// Small file helpers shared by the SSH layer (keys, known_hosts). Internal to provisioner/.
#include <filesystem>
#include <string>
#include <string_view>

namespace machine::ssh::detail {

// Writes content to path through a temp file + fsync + rename, with exactly `mode`.
// Throws Error(Internal) naming the path.
void write_file_atomic(const std::filesystem::path& path, std::string_view content, unsigned mode);

// Reads a whole file; throws Error(NotFound) when missing, Error(Internal) on other failures.
std::string read_whole_file(const std::filesystem::path& path);

}  // namespace machine::ssh::detail
