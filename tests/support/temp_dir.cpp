#include "tests/support/temp_dir.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace machine::testing {

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "machine-test-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const std::filesystem::path& p, const std::string& content) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write " + p.string());
  out << content;
}

std::string tree_fingerprint(const std::filesystem::path& root) {
  std::vector<std::string> lines;
  for (auto& e : std::filesystem::recursive_directory_iterator(root)) {
    auto st = e.symlink_status();
    std::string line = std::filesystem::relative(e.path(), root).string() + " " +
                       std::to_string(static_cast<int>(st.type())) + " " +
                       std::to_string(static_cast<unsigned>(st.permissions()));
    if (std::filesystem::is_regular_file(st)) line += " " + read_file(e.path());
    lines.push_back(std::move(line));
  }
  std::sort(lines.begin(), lines.end());
  std::string all;
  for (auto& l : lines) all += l + "\n";
  return all;
}

}  // namespace machine::testing
