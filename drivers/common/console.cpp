#include "drivers/common/console.h"

#include <fstream>
#include <sstream>

namespace machine::drivers::common {
namespace {

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace

// Our guest prints `machine-hostkey: <type> <base64>`; cloud-init (stock cloud images) prints
// its keys between "-----BEGIN SSH HOST KEY KEYS-----" and "-----END SSH HOST KEY KEYS-----".
std::vector<std::string> parse_host_keys(const std::string& console) {
  static const std::string prefix = "machine-hostkey: ";
  std::vector<std::string> keys;
  auto add = [&](const std::string& text) {
    std::istringstream fields(text);
    std::string type, blob;
    if (!(fields >> type >> blob) || (type.rfind("ssh-", 0) != 0 && type.rfind("ecdsa-", 0) != 0)) return;
    std::string key = type + " " + blob;
    bool seen = false;
    for (const auto& k : keys) seen = seen || k == key;
    if (!seen) keys.push_back(key);
  };
  // A cloud-init block counts only once its END line is there: read while cloud-init is
  // still writing it, the last line may be a cut-off key.
  bool in_cloud_init_block = false;
  std::vector<std::string> block;
  for (const auto& line : split_lines(console)) {
    if (line.find("-----BEGIN SSH HOST KEY KEYS-----") != std::string::npos) {
      in_cloud_init_block = true;
      block.clear();
    } else if (line.find("-----END SSH HOST KEY KEYS-----") != std::string::npos) {
      if (in_cloud_init_block)
        for (const auto& l : block) add(l);
      in_cloud_init_block = false;
    } else if (in_cloud_init_block) {
      block.push_back(line);
    } else if (auto at = line.find(prefix); at != std::string::npos) {
      add(line.substr(at + prefix.size()));
    }
  }
  return keys;
}

HostKeyWait host_key_wait(const std::string& console, bool machine_os, std::chrono::milliseconds since_ssh,
                          std::chrono::milliseconds bound) {
  if (machine_os || !parse_host_keys(console).empty()) return HostKeyWait::Ready;
  return since_ssh >= bound ? HostKeyWait::GiveUp : HostKeyWait::Wait;
}

bool boot_done(const std::string& console) {
  for (const auto& line : split_lines(console))
    if (line == kBootDoneMarker) return true;
  return false;
}

std::string last_lines(const std::string& text, size_t n) {
  std::vector<std::string> kept;
  for (auto& line : split_lines(text)) {
    std::string clean;
    for (char c : line)
      if (static_cast<unsigned char>(c) >= 0x20 || c == '\t') clean += c;
    if (clean.find_first_not_of(" \t") != std::string::npos) kept.push_back(std::move(clean));
  }
  std::string out;
  for (size_t i = kept.size() > n ? kept.size() - n : 0; i < kept.size(); ++i)
    out += (out.empty() ? "" : "\n") + kept[i];
  return out;
}

std::string read_file_tail(const std::filesystem::path& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return "";
  auto size = static_cast<size_t>(in.tellg());
  size_t start = size > max_bytes ? size - max_bytes : 0;
  in.seekg(static_cast<std::streamoff>(start));
  std::string out(size - start, '\0');
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  out.resize(static_cast<size_t>(in.gcount()));
  return out;
}

}  // namespace machine::drivers::common
