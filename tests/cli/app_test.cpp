// The CLI through its library entry point: help texts, dispatch errors, inspect output.
#include "cli/app.h"

#include <gtest/gtest.h>

#include <sstream>

#include "machine/store.h"
#include "tests/cli/golden.h"
#include "tests/support/temp_dir.h"

namespace machine::cli {
namespace {

struct Result {
  int status;
  std::string out, err;
};

Result run_cli(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
  std::ostringstream out, err;
  std::istringstream in;
  env.emplace("HOME", "/home/user");
  Io io{out, err, in,
        [env](const std::string& k) -> std::optional<std::string> {
          auto it = env.find(k);
          if (it == env.end()) return std::nullopt;
          return it->second;
        },
        {}};
  args.insert(args.begin(), "machine");
  int status = run(args, io);
  return {status, out.str(), err.str()};
}

TEST(App, HelpTextsMatchGolden) {
  testing::expect_golden("help.txt", run_cli({"--help"}).out);
  testing::expect_golden("help_ls.txt", run_cli({"ls", "--help"}).out);
  testing::expect_golden("help_create_none.txt", run_cli({"create", "-d", "none", "--help"}).out);
  EXPECT_EQ(run_cli({"help", "ls"}).out, run_cli({"ls", "--help"}).out);
  EXPECT_EQ(run_cli({}).out, run_cli({"--help"}).out);
}

TEST(App, UnknownCommand) {
  auto r = run_cli({"launch"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "machine: 'launch' is not a machine command. See 'machine --help'.\n");
}

TEST(App, BadFlagShowsUsageAndGoError) {
  auto r = run_cli({"env", "--shel", "fish"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err.rfind("Incorrect Usage.\n\nUsage: machine env [OPTIONS] [arg...]", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("\nflag provided but not defined: -shel\n"), std::string::npos) << r.err;
}

TEST(App, InspectPrintsTheConfigAsIndentedJson) {
  machine::testing::TempDir dir;
  Store store(dir.path());
  store.create_machine_dir("vm1");
  Host h;
  h.name = "vm1";
  h.driver_name = "none";
  h.driver = {{"URL", "tcp://127.0.0.1:2376"}, {"MachineName", "vm1"}};
  h.options.driver = "none";
  h.options.auth.store_path = "/home/user/.docker/machine/machines/vm1";
  store.save(h);
  auto r = run_cli({"inspect", "vm1"}, {{"MACHINE_STORAGE_PATH", dir.path().string()}});
  ASSERT_EQ(r.status, 0) << r.err;
  testing::expect_golden("inspect.txt", r.out);
  r = run_cli({"inspect", "-f", "{{.HostOptions.EngineOptions.InstallURL}}|{{json .HostOptions.EngineOptions.Labels}}",
               "vm1"},
              {{"MACHINE_STORAGE_PATH", dir.path().string()}});
  EXPECT_EQ(r.out, "https://get.docker.com|[]\n");
  r = run_cli({"inspect", "-f", "{{.Bogus}}", "vm1"}, {{"MACHINE_STORAGE_PATH", dir.path().string()}});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("can't evaluate field Bogus"), std::string::npos);
  r = run_cli({"inspect", "-f", "{{.Name", "vm1"}, {{"MACHINE_STORAGE_PATH", dir.path().string()}});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err.rfind("template parsing error: template: :1: ", 0), 0u) << r.err;
}

}  // namespace
}  // namespace machine::cli
