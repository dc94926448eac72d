#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "drivers/driver.h"
#include "machine/error.h"

namespace machine::drivers {

void FlagValues::set(const std::string& name, std::vector<std::string> values, bool explicitly) {
  values_[name] = std::move(values);
  explicit_[name] = explicitly;
}

bool FlagValues::explicitly_set(const std::string& name) const {
  auto it = explicit_.find(name);
  return it != explicit_.end() && it->second;
}

std::string FlagValues::string(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return "";
  return it->second.back();
}

int FlagValues::integer(const std::string& name) const {
  auto s = string(name);
  if (s.empty()) return 0;
  try {
    size_t used = 0;
    int v = std::stoi(s, &used);
    if (used == s.size()) return v;
  } catch (const std::exception&) {
  }
  fail(Code::InvalidArgument, fmt::format("invalid value \"{}\" for flag --{}: not an integer", s, name));
}

bool FlagValues::boolean(const std::string& name) const {
  auto s = string(name);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  if (s.empty() || s == "false" || s == "0") return false;
  if (s == "true" || s == "1") return true;
  fail(Code::InvalidArgument, fmt::format("invalid value \"{}\" for flag --{}: not a boolean", s, name));
}

std::vector<std::string> FlagValues::list(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

}  // namespace machine::drivers
