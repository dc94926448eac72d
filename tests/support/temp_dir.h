#pragma once
// Each test gets its own temporary directory, removed when the test ends.
#include <filesystem>
#include <string>

namespace machine::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Reads a whole file (throws on error); writes a whole file.
std::string read_file(const std::filesystem::path& p);
void write_file(const std::filesystem::path& p, const std::string& content);

// Every path below `root` (sorted, one per line) with its type, permissions and, for regular
// files, content; symlinks are described, not followed. Equal fingerprints: nothing changed.
std::string tree_fingerprint(const std::filesystem::path& root);

}  // namespace machine::testing
