#pragma once
// Small filesystem helpers with the store's guarantees: atomic writes (temp + fsync +
// rename), private permissions.
#include <filesystem>
#include <string>

namespace machine::fs {

// Writes `content` to `path` atomically with mode `mode`: a crash leaves either the old
// or the new file, never a torn one.
void write_file_atomic(const std::filesystem::path& path, const std::string& content, unsigned mode = 0600);

// Reads a whole file; throws Error(NotFound) when missing, Error(Internal) otherwise.
std::string read_file(const std::filesystem::path& path);

// Creates `dir` (and parents) with mode 0700 if missing; tightens mode if it exists.
void ensure_private_dir(const std::filesystem::path& dir);

// True when `entry` names an existing entry (a symlink counts as itself, never followed)
// whose parent directory, with every symlink resolved, is `dir` with every symlink resolved,
// and whose last component is a plain name (not "", "." or ".."). Used before deleting trees.
bool is_direct_child(const std::filesystem::path& dir, const std::filesystem::path& entry);

// Copies `from` to `to` atomically with mode `mode`.
void copy_file_atomic(const std::filesystem::path& from, const std::filesystem::path& to, unsigned mode);

}  // namespace machine::fs
