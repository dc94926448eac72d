#include "provisioner/os_release.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace machine::provision {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string r(s);
  std::transform(r.begin(), r.end(), r.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return r;
}

// os-release values follow shell quoting rules, restricted to one line.
std::string unquote(std::string_view v) {
  v = trim(v);
  if (v.size() >= 2 && v.front() == '\'' && v.back() == '\'') return std::string(v.substr(1, v.size() - 2));
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
    v = v.substr(1, v.size() - 2);
    std::string r;
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (v[i] == '\\' && i + 1 < v.size() &&
          std::string_view("\"\\$`").find(v[i + 1]) != std::string_view::npos)
        ++i;
      r += v[i];
    }
    return r;
  }
  return std::string(v);
}

std::vector<std::string> words(std::string_view s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    std::size_t j = i;
    while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j]))) ++j;
    if (j > i) out.push_back(lower(s.substr(i, j - i)));
    i = j;
  }
  return out;
}

// Known IDs; ID_LIKE is checked against the same table.
constexpr std::array<std::pair<std::string_view, OsFamily>, 17> kFamilies{{
    {"machineos", OsFamily::MachineOs},
    {"debian", OsFamily::Debian},
    {"ubuntu", OsFamily::Debian},
    {"raspbian", OsFamily::Debian},
    {"linuxmint", OsFamily::Debian},
    {"fedora", OsFamily::RedHat},
    {"centos", OsFamily::RedHat},
    {"rhel", OsFamily::RedHat},
    {"rocky", OsFamily::RedHat},
    {"almalinux", OsFamily::RedHat},
    {"ol", OsFamily::RedHat},
    {"amzn", OsFamily::RedHat},
    {"alpine", OsFamily::Alpine},
    {"arch", OsFamily::Arch},
    {"archarm", OsFamily::Arch},
    {"manjaro", OsFamily::Arch},
    {"endeavouros", OsFamily::Arch},
}};

OsFamily lookup(std::string_view id) {
  for (const auto& [name, family] : kFamilies)
    if (name == id) return family;
  return OsFamily::Unknown;
}

}  // namespace

OsFamily detect_family(std::string_view id, const std::vector<std::string>& id_like) {
  if (auto f = lookup(id); f != OsFamily::Unknown) return f;
  for (const auto& like : id_like)
    if (auto f = lookup(like); f != OsFamily::Unknown && f != OsFamily::MachineOs) return f;
  return OsFamily::Unknown;
}

OsInfo parse_os_release(std::string_view text) {
  OsInfo info;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.empty() || line.front() == '#') continue;
    auto eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    auto key = trim(line.substr(0, eq));
    auto value = unquote(line.substr(eq + 1));
    if (key == "ID")
      info.id = lower(value);
    else if (key == "ID_LIKE")
      info.id_like = words(value);
    else if (key == "NAME")
      info.name = value;
    else if (key == "PRETTY_NAME")
      info.pretty_name = value;
    else if (key == "VERSION_ID")
      info.version_id = value;
  }
  if (info.id.empty()) info.id = "linux";
  info.family = detect_family(info.id, info.id_like);
  return info;
}

InitSystem OsInfo::init() const {
  switch (family) {
    case OsFamily::MachineOs:
      return InitSystem::MachineDocker;
    case OsFamily::Alpine:
      return InitSystem::OpenRc;
    default:
      return InitSystem::Systemd;
  }
}

std::string OsInfo::display_name() const {
  switch (init()) {
    case InitSystem::MachineDocker:
      return id;
    case InitSystem::OpenRc:
      return id + "(openrc)";
    case InitSystem::Systemd:
      break;
  }
  return id + "(systemd)";
}

std::string_view family_name(OsFamily family) {
  switch (family) {
    case OsFamily::MachineOs:
      return "machine OS";
    case OsFamily::Debian:
      return "Debian";
    case OsFamily::RedHat:
      return "Red Hat";
    case OsFamily::Alpine:
      return "Alpine";
    case OsFamily::Arch:
      return "Arch";
    case OsFamily::Unknown:
      break;
  }
  return "unknown";
}

}  // namespace machine::provision
