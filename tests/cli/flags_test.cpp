#include "cli/flags.h"

#include <gtest/gtest.h>

#include "machine/error.h"

namespace machine::cli {
namespace {

const std::vector<FlagSpec> kSpecs{
    {{"quiet", "q"}, FlagKind::Bool, "Enable quiet mode", "", ""},
    {{"filter"}, FlagKind::StringList, "Filter output", "", ""},
    {{"timeout", "t"}, FlagKind::Int, "Timeout in seconds", "", "10"},
    {{"storage-path", "s"}, FlagKind::String, "Configures storage path", "MACHINE_STORAGE_PATH", "/home/x"},
};

Getenv env_of(std::map<std::string, std::string> m) {
  return [m](const std::string& k) -> std::optional<std::string> {
    auto it = m.find(k);
    if (it == m.end()) return std::nullopt;
    return it->second;
  };
}

ParsedArgs parse(std::vector<std::string> argv, std::map<std::string, std::string> env = {}) {
  return parse_flags(kSpecs, argv, env_of(env));
}

TEST(Flags, AcceptsGoSyntaxes) {
  auto p = parse({"-q", "--filter", "a=b", "-filter=c=d", "--timeout=3", "name"});
  EXPECT_TRUE(p.flags.boolean("quiet"));
  EXPECT_EQ(p.flags.list("filter"), (std::vector<std::string>{"a=b", "c=d"}));
  EXPECT_EQ(p.flags.integer("timeout"), 3);
  EXPECT_EQ(p.args, std::vector<std::string>{"name"});
}

TEST(Flags, FlagsMayFollowArguments) {
  auto p = parse({"vm1", "-t", "5", "vm2"});
  EXPECT_EQ(p.args, (std::vector<std::string>{"vm1", "vm2"}));
  EXPECT_EQ(p.flags.integer("timeout"), 5);
}

TEST(Flags, DoubleDashEndsFlags) {
  auto p = parse({"--", "-q"});
  EXPECT_FALSE(p.flags.boolean("quiet"));
  EXPECT_EQ(p.args, std::vector<std::string>{"-q"});
}

TEST(Flags, GlobalParsingStopsAtTheCommand) {
  auto p = parse_flags(kSpecs, {"-s", "/tmp/x", "ls", "-q"}, env_of({}), {.stop_at_positional = true});
  EXPECT_EQ(p.flags.string("storage-path"), "/tmp/x");
  EXPECT_EQ(p.args, (std::vector<std::string>{"ls", "-q"}));
}

TEST(Flags, EnvThenDefaultFillUnsetFlags) {
  EXPECT_EQ(parse({}).flags.string("storage-path"), "/home/x");
  EXPECT_EQ(parse({}, {{"MACHINE_STORAGE_PATH", "/env"}}).flags.string("storage-path"), "/env");
  EXPECT_EQ(parse({"-s", "/flag"}, {{"MACHINE_STORAGE_PATH", "/env"}}).flags.string("storage-path"), "/flag");
  EXPECT_FALSE(parse({}, {{"MACHINE_STORAGE_PATH", "/env"}}).flags.is_set("storage-path"));
  EXPECT_EQ(parse({}).flags.integer("timeout"), 10);
}

TEST(Flags, BoolValues) {
  EXPECT_FALSE(parse({"-q=false"}).flags.boolean("quiet"));
  EXPECT_TRUE(parse({"--quiet=1"}).flags.boolean("quiet"));
}

TEST(Flags, ErrorsUseGoWording) {
  auto message = [](std::vector<std::string> argv) {
    try {
      parse(argv);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message({"--bogus"}), "flag provided but not defined: -bogus");
  EXPECT_EQ(message({"-x=1"}), "flag provided but not defined: -x");
  EXPECT_EQ(message({"--timeout"}), "flag needs an argument: -timeout");
  EXPECT_EQ(message({"-t", "soon"}), "invalid value \"soon\" for flag -t: parse error");
  EXPECT_EQ(message({"-q=maybe"}), "invalid boolean value \"maybe\" for -q: parse error");
}

TEST(Flags, HelpLinesLikeCodegangstaCli) {
  EXPECT_EQ(flag_help_line(kSpecs[0]), "--quiet, -q\tEnable quiet mode");
  EXPECT_EQ(flag_help_line(kSpecs[1]), "--filter [--filter option --filter option]\tFilter output");
  EXPECT_EQ(flag_help_line(kSpecs[2]), "--timeout, -t \"10\"\tTimeout in seconds");
  EXPECT_EQ(flag_help_line(kSpecs[3]),
            "--storage-path, -s \"/home/x\"\tConfigures storage path [$MACHINE_STORAGE_PATH]");
  FlagSpec empty{{"format", "f"}, FlagKind::String, "Pretty-print", "", ""};
  EXPECT_EQ(flag_help_line(empty), "--format, -f \tPretty-print");
}

}  // namespace
}  // namespace machine::cli
