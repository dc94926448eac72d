#include "cli/flags.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "machine/error.h"

namespace machine::cli {

std::string ParsedFlags::string(const std::string& key) const {
  auto it = values_.find(key);
  return it == values_.end() || it->second.empty() ? "" : it->second.back();
}

namespace {
std::optional<bool> parse_bool(std::string v) {
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
  if (v == "1" || v == "t" || v == "true") return true;
  if (v == "0" || v == "f" || v == "false") return false;
  return std::nullopt;
}

std::optional<int> parse_int(const std::string& v) {
  if (v.empty()) return std::nullopt;
  try {
    size_t used = 0;
    long long n = std::stoll(v, &used, 0);
    if (used != v.size() || n < INT32_MIN || n > INT32_MAX) return std::nullopt;
    return static_cast<int>(n);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}
}  // namespace

bool ParsedFlags::boolean(const std::string& key) const { return parse_bool(string(key)).value_or(false); }

int ParsedFlags::integer(const std::string& key) const {
  auto s = string(key);
  auto n = parse_int(s);
  if (!n) fail(Code::InvalidArgument, fmt::format("invalid value \"{}\" for flag -{}: parse error", s, key));
  return *n;
}

std::vector<std::string> ParsedFlags::list(const std::string& key) const {
  auto it = values_.find(key);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

void ParsedFlags::set(const std::string& key, std::vector<std::string> v, bool explicitly) {
  values_[key] = std::move(v);
  if (explicitly) explicit_.insert(key);
}

void ParsedFlags::append(const std::string& key, const std::string& v) {
  values_[key].push_back(v);
  explicit_.insert(key);
}

ParsedArgs parse_flags(const std::vector<FlagSpec>& specs, const std::vector<std::string>& argv,
                       const Getenv& getenv, ParseOptions options) {
  auto find = [&](const std::string& name) -> const FlagSpec* {
    for (const auto& s : specs)
      if (std::find(s.names.begin(), s.names.end(), name) != s.names.end()) return &s;
    return nullptr;
  };
  ParsedArgs out;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "--") {
      out.args.insert(out.args.end(), argv.begin() + static_cast<long>(i) + 1, argv.end());
      break;
    }
    if (a.size() < 2 || a[0] != '-') {
      if (options.stop_at_positional) {
        out.args.insert(out.args.end(), argv.begin() + static_cast<long>(i), argv.end());
        break;
      }
      out.args.push_back(a);
      continue;
    }
    std::string body = a.substr(a[1] == '-' ? 2 : 1);
    std::optional<std::string> value;
    if (auto eq = body.find('='); eq != std::string::npos) {
      value = body.substr(eq + 1);
      body = body.substr(0, eq);
    }
    if (body.empty() || body[0] == '-' || body[0] == '=')
      fail(Code::InvalidArgument, fmt::format("bad flag syntax: {}", a));
    const FlagSpec* spec = find(body);
    if (!spec) fail(Code::InvalidArgument, fmt::format("flag provided but not defined: -{}", body));
    const std::string& key = spec->names.front();
    if (spec->kind == FlagKind::Bool) {
      if (value && !parse_bool(*value))
        fail(Code::InvalidArgument,
             fmt::format("invalid boolean value \"{}\" for -{}: parse error", *value, body));
      out.flags.set(key, {value ? (*parse_bool(*value) ? "true" : "false") : "true"}, true);
      continue;
    }
    if (!value) {
      if (i + 1 >= argv.size()) fail(Code::InvalidArgument, fmt::format("flag needs an argument: -{}", body));
      value = argv[++i];
    }
    if (spec->kind == FlagKind::Int && !parse_int(*value))
      fail(Code::InvalidArgument,
           fmt::format("invalid value \"{}\" for flag -{}: parse error", *value, body));
    if (spec->kind == FlagKind::StringList)
      out.flags.append(key, *value);
    else
      out.flags.set(key, {*value}, true);
  }
  // Env vars, then defaults, for what the command line left unset.
  for (const auto& s : specs) {
    const std::string& key = s.names.front();
    if (out.flags.is_set(key)) continue;
    std::optional<std::string> env = s.env.empty() ? std::nullopt : getenv(s.env);
    if (env && !env->empty()) {
      if (s.kind == FlagKind::Bool && !parse_bool(*env)) continue;  // codegangsta ignores bad bools
      if (s.kind == FlagKind::Int && !parse_int(*env)) continue;
      if (s.kind == FlagKind::StringList) {
        std::vector<std::string> items;
        size_t start = 0;
        while (true) {
          size_t comma = env->find(',', start);
          std::string item =
              env->substr(start, comma == std::string::npos ? std::string::npos : comma - start);
          item.erase(0, item.find_first_not_of(' '));
          item.erase(item.find_last_not_of(' ') + 1);
          if (!item.empty()) items.push_back(item);
          if (comma == std::string::npos) break;
          start = comma + 1;
        }
        out.flags.set(key, items, false);
      } else {
        out.flags.set(key, {s.kind == FlagKind::Bool ? (*parse_bool(*env) ? "true" : "false") : *env}, false);
      }
    } else if (!s.default_value.empty()) {
      out.flags.set(key, {s.default_value}, false);
    }
  }
  return out;
}

std::string flag_help_line(const FlagSpec& spec) {
  std::string names;
  for (size_t i = 0; i < spec.names.size(); ++i)
    names += (i ? ", " : "") + std::string(spec.names[i].size() == 1 ? "-" : "--") + spec.names[i];
  std::string line;
  switch (spec.kind) {
    case FlagKind::Bool:
      line = names + "\t" + spec.usage;
      break;
    case FlagKind::Int:
      line = fmt::format("{} \"{}\"\t{}", names, spec.default_value, spec.usage);
      break;
    case FlagKind::String:
      line = spec.default_value.empty() ? fmt::format("{} \t{}", names, spec.usage)
                                        : fmt::format("{} \"{}\"\t{}", names, spec.default_value, spec.usage);
      break;
    case FlagKind::StringList: {
      const std::string& first = spec.names.front();
      std::string p = first.size() == 1 ? "-" : "--";
      line = fmt::format("{} [{}{} option {}{} option]\t{}", names, p, first, p, first, spec.usage);
      break;
    }
  }
  if (!spec.env.empty()) line += " [$" + spec.env + "]";
  return line;
}

}  // namespace machine::cli
