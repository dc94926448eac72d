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
  Io io{out,
        err,
        in,
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
  // codegangsta/cli prints the usage on stdout and the error on stderr; docker-machine then
  // exited 0, we exit 1 (cli/README.md, deliberate differences).
  auto r = run_cli({"env", "--shel", "fish"});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out.rfind("Incorrect Usage.\n\nUsage: machine env [OPTIONS] [arg...]", 0), 0u) << r.out;
  EXPECT_EQ(r.err, "flag provided but not defined: -shel\n");
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
  r = run_cli({"inspect", "-f",
               "{{.HostOptions.EngineOptions.InstallURL}}|{{json .HostOptions.EngineOptions.Labels}}", "vm1"},
              {{"MACHINE_STORAGE_PATH", dir.path().string()}});
  EXPECT_EQ(r.out, "https://get.docker.com|[]\n");
  // docker-machine formats a map here: an unknown field is "<no value>".
  r = run_cli({"inspect", "-f", "{{.Bogus}} {{.HostOptions.Bogus.Deeper}}", "vm1"},
              {{"MACHINE_STORAGE_PATH", dir.path().string()}});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "<no value> <no value>\n");
  r = run_cli({"inspect", "-f", "{{.Name", "vm1"}, {{"MACHINE_STORAGE_PATH", dir.path().string()}});
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err, "template parsing error: template: :1:7: unclosed action\n");
  r = run_cli({"inspect", "-f",
               "{{if eq .DriverName \"none\"}}{{printf \"%s/%d\" .Name (len "
               ".HostOptions.EngineOptions.Labels)}}{{end}}",
               "vm1"},
              {{"MACHINE_STORAGE_PATH", dir.path().string()}});
  EXPECT_EQ(r.out, "vm1/0\n") << r.err;
}

}  // namespace
}  // namespace machine::cli
