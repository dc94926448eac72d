#pragma once
// Command-line flags with docker-machine's (Go `flag` + codegangsta/cli) syntax:
// -x, --x, -name, --name, -name=value, --name value; bools take no value (-b=false works);
// repeatable list flags; an env-var fallback per flag. Hand-written rather than CLI11
// because `create` learns its flags only after reading -d, `ssh` passes everything through,
// Go accepts single-dash long names (-debug), and help/error text must match
// docker-machine's, none of which CLI11 does without fighting it.
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace machine::cli {

enum class FlagKind { Bool, String, Int, StringList };

struct FlagSpec {
  std::vector<std::string> names;  // {"storage-path", "s"}: the first is the key
  FlagKind kind = FlagKind::String;
  std::string usage;
  std::string env;            // "MACHINE_STORAGE_PATH"; empty for none
  std::string default_value;  // shown in help as "value"; lists and bools have none
};

using Getenv = std::function<std::optional<std::string>(const std::string&)>;

class ParsedFlags {
 public:
  bool is_set(const std::string& key) const { return explicit_.count(key) > 0; }
  bool has(const std::string& key) const { return values_.count(key) > 0; }
  std::string string(const std::string& key) const;
  bool boolean(const std::string& key) const;
  // Throws Error(InvalidArgument) when the value is not an integer.
  int integer(const std::string& key) const;
  std::vector<std::string> list(const std::string& key) const;
  const std::map<std::string, std::vector<std::string>>& values() const { return values_; }

  void set(const std::string& key, std::vector<std::string> v, bool explicitly);
  void append(const std::string& key, const std::string& v);

 private:
  std::map<std::string, std::vector<std::string>> values_;
  std::set<std::string> explicit_;
};

struct ParsedArgs {
  ParsedFlags flags;
  std::vector<std::string> args;  // positional arguments, in order
};

struct ParseOptions {
  // Global flags end at the first positional argument (the command name); command flags
  // may follow positional arguments ("env vm1 --shell fish").
  bool stop_at_positional = false;
};

// Parses `argv` against `specs`, then fills unset flags from their env var and default.
// Throws Error(InvalidArgument) with Go's wording: "flag provided but not defined: -x",
// "flag needs an argument: -x", "invalid boolean value \"x\" for -b: parse error".
ParsedArgs parse_flags(const std::vector<FlagSpec>& specs, const std::vector<std::string>& argv,
                       const Getenv& getenv, ParseOptions options = {});

// One help line as codegangsta/cli prints it: "--name, -n \"default\"\tusage [$ENV]".
std::string flag_help_line(const FlagSpec& spec);

}  // namespace machine::cli
