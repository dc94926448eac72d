#include "provisioner/ssh/scp_args.h"

#include <gtest/gtest.h>

#include "machine/error.h"
#include "provisioner/ssh/scp.h"

namespace machine::ssh {
namespace {

ScpLocation local(std::string path) { return ScpLocation{"", "", std::move(path)}; }
ScpLocation remote(std::string machine, std::string path, std::string user = "") {
  return ScpLocation{std::move(machine), std::move(user), std::move(path)};
}

TEST(ScpArgs, LocalToMachine) {
  auto r = parse_scp_args({"file.txt", "vm1:/tmp/"});
  ASSERT_EQ(r.sources.size(), 1u);
  EXPECT_EQ(r.sources[0], local("file.txt"));
  EXPECT_EQ(r.destination, remote("vm1", "/tmp/"));
  EXPECT_FALSE(r.recursive || r.quiet || r.delta);
}

TEST(ScpArgs, MachineToLocalWithUser) {
  auto r = parse_scp_args({"docker@vm1:~/a b.txt", "."});
  EXPECT_EQ(r.sources[0], remote("vm1", "~/a b.txt", "docker"));
  EXPECT_EQ(r.destination, local("."));
}

TEST(ScpArgs, MachineToMachineWithSeveralSources) {
  auto r = parse_scp_args({"-r", "vm1:dir", "vm1:file", "vm2:"});
  ASSERT_EQ(r.sources.size(), 2u);
  EXPECT_EQ(r.sources[1], remote("vm1", "file"));
  EXPECT_EQ(r.destination, remote("vm2", ""));
  EXPECT_TRUE(r.recursive);
}

TEST(ScpArgs, CombinedAndLongFlags) {
  auto r = parse_scp_args({"-rqd", "a", "b"});
  EXPECT_TRUE(r.recursive && r.quiet && r.delta);
  r = parse_scp_args({"--recursive", "--quiet", "--delta", "a", "vm:b"});
  EXPECT_TRUE(r.recursive && r.quiet && r.delta);
}

TEST(ScpArgs, PathsWithColonsOrSlashesBeforeTheColonStayLocal) {
  EXPECT_EQ(parse_scp_location("./a:b"), local("./a:b"));
  EXPECT_EQ(parse_scp_location("/x/y:z"), local("/x/y:z"));
  EXPECT_EQ(parse_scp_location(":x"), local(":x"));
  EXPECT_EQ(parse_scp_location("vm:a:b"), remote("vm", "a:b"));
  EXPECT_EQ(parse_scp_location("with space.txt"), local("with space.txt"));
}

TEST(ScpArgs, LocalhostIsALocalPathAsInDockerMachine) {
  auto r = parse_scp_args({"localhost:/tmp/a", "docker@localhost:b", "vm:/c"});
  ASSERT_EQ(r.sources.size(), 2u);
  EXPECT_FALSE(r.sources[0].is_remote());
  EXPECT_EQ(r.sources[0].path, "/tmp/a");
  EXPECT_FALSE(r.sources[1].is_remote());
  EXPECT_EQ(r.sources[1].path, "b");
  EXPECT_TRUE(r.destination.is_remote());
}

TEST(ScpArgs, OptionsEndAtTheFirstPathOrDoubleDash) {
  auto r = parse_scp_args({"--", "-r", "vm:x"});
  EXPECT_FALSE(r.recursive);
  EXPECT_EQ(r.sources[0], local("-r"));
  r = parse_scp_args({"a", "-q", "vm:x"});
  EXPECT_FALSE(r.quiet);
  EXPECT_EQ(r.sources[1], local("-q"));
}

TEST(ScpArgs, RejectsUnknownOptionsAndMissingPaths) {
  EXPECT_THROW(parse_scp_args({"-x", "a", "b"}), Error);
  EXPECT_THROW(parse_scp_args({"--bogus", "a", "b"}), Error);
  EXPECT_THROW(parse_scp_args({"a"}), Error);
  EXPECT_THROW(parse_scp_args({"-r"}), Error);
  EXPECT_THROW(parse_scp_location("@vm:x"), Error);
  EXPECT_THROW(parse_scp_location("user@:x"), Error);
}

TEST(ScpArgs, RemotePathsAreRelativeToHome) {
  EXPECT_EQ(normalize_remote_path(""), ".");
  EXPECT_EQ(normalize_remote_path("~"), ".");
  EXPECT_EQ(normalize_remote_path("~/a b"), "a b");
  EXPECT_EQ(normalize_remote_path("/etc/x"), "/etc/x");
}

}  // namespace
}  // namespace machine::ssh
