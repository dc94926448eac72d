// Every command that takes a machine name, given names that could become paths, exits 1
// with docker-machine's invalid-name message and leaves the store and its neighbours exactly
// as they were. Destructive by nature: it runs only inside tests/support/ro-sandbox (every
// mount read-only except the sandbox's tmpfs), and refuses to run anywhere else.
#include <gtest/gtest.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cstdlib>
#include <optional>

#include "certs/certs.h"
#include "machine/host.h"
#include "machine/process_runner.h"
#include "machine/store.h"
#include "tests/support/temp_dir.h"

namespace machine::cli {
namespace {
using namespace std::chrono_literals;
using machine::testing::read_file;
using machine::testing::tree_fingerprint;
using machine::testing::write_file;

std::filesystem::path sandbox_dir() {
  const char* dir = std::getenv("RO_SANDBOX_DIR");
  return dir ? std::filesystem::path(dir) : std::filesystem::path();
}

bool root_is_read_only() {
  struct statvfs st {};
  return ::statvfs("/", &st) == 0 && (st.f_flag & ST_RDONLY) != 0;
}

class HostileNames : public ::testing::Test {
 protected:
  void SetUp() override {
    // The guard that keeps a regression from deleting host files: no sandbox, no test.
    ASSERT_FALSE(sandbox_dir().empty()) << "run me through tests/support/ro-sandbox";
    ASSERT_TRUE(root_is_read_only()) << "/ is writable: not inside ro-sandbox";
    tmp_.emplace();  // under the sandbox's TMPDIR
    base_ = tmp_->path();
    store_ = base_ / "store";
    Store store(store_);
    certs::bootstrap(certs::AuthPaths::in_store(store_));
    for (const char* name : {"keep", "n1"}) {
      store.create_machine_dir(name);
      Host h;
      h.name = name;
      h.driver_name = "none";
      h.driver = {{"URL", "tcp://127.0.0.1:9"}};
      store.save(h);
    }
    std::filesystem::create_directories(base_ / "neighbour" / "sub");
    write_file(base_ / "neighbour" / "sub" / "file", "precious");
  }

  ProcessResult machine(std::vector<std::string> args) {
    Command cmd;
    const char* bin = std::getenv("MACHINE_BINARY");
    cmd.program = bin ? bin : MACHINE_BINARY_PATH;
    cmd.args = std::move(args);
    cmd.env = {{"MACHINE_STORAGE_PATH", store_.string()},
               {"DOCKER_HOST", ""},
               {"DOCKER_CONFIG", (base_ / "docker").string()},
               {"SHELL", "/bin/bash"},
               {"MACHINE_DRIVER", ""}};
    cmd.stdin_data = "y\n";  // a prompt must not be what stops a removal
    cmd.timeout = 120s;      // generous: CI hosts run VMs beside this test
    return runner_->run(cmd);
  }

  std::optional<machine::testing::TempDir> tmp_;
  std::filesystem::path base_, store_;
  std::unique_ptr<ProcessRunner> runner_ = make_system_process_runner();
};

TEST_F(HostileNames, EveryCommandRefusesPathLikeNamesAndChangesNothing) {
  const std::vector<std::string> names = {"..",
                                          ".",
                                          (base_ / "neighbour").string(),
                                          (store_ / "machines" / "keep").string(),
                                          "a/b",
                                          "",
                                          std::string(300, 'x'),
                                          "a\nb",
                                          "n1/..",
                                          "../machines/keep"};
  // {command words before the name, words after it}
  const std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> commands = {
      {{"config"}, {}},
      {{"create", "-d", "none", "--url", "tcp://127.0.0.1:9"}, {}},
      {{"env"}, {}},
      {{"inspect"}, {}},
      {{"ip"}, {}},
      {{"kill"}, {}},
      {{"provision"}, {}},
      {{"regenerate-certs", "-f"}, {}},
      {{"restart"}, {}},
      {{"rm", "-y"}, {}},
      {{"rm", "-f", "-y"}, {}},
      {{"rm", "-f", "-y", "keep"}, {}},  // a valid name first: still nothing is removed
      {{"ssh"}, {"true"}},
      {{"start"}, {}},
      {{"status"}, {}},
      {{"stop"}, {}},
      {{"upgrade"}, {}},
      {{"url"}, {}},
      {{"version"}, {}},
      {{"__forward"}, {}},
  };
  const auto before = tree_fingerprint(base_);
  for (const auto& name : names) {
    for (const auto& [pre, post] : commands) {
      auto args = pre;
      args.push_back(name);
      args.insert(args.end(), post.begin(), post.end());
      auto r = machine(args);
      std::string shown = args.front() + " '" + name.substr(0, 40) + "'";
      EXPECT_EQ(r.exit_code, 1) << shown << "\n" << r.out << r.err;
      EXPECT_NE(r.err.find("Invalid hostname specified. Allowed hostname chars are: 0-9a-zA-Z . -"),
                std::string::npos)
          << shown << "\n"
          << r.out << r.err;
    }
    {
      auto r = machine({"mount", name + ":/tmp/d", (base_ / "mnt").string()});
      EXPECT_EQ(r.exit_code, 1) << "mount '" << name.substr(0, 40) << "'\n" << r.err;
      EXPECT_NE(r.err.find("Invalid hostname specified"), std::string::npos) << r.err;
    }
    // scp takes names as machine:path; names with '/' (or none) are local paths there.
    if (!name.empty() && name.find('/') == std::string::npos) {
      for (auto args : {std::vector<std::string>{"scp", name + ":/etc/hostname", (base_ / "out").string()},
                        std::vector<std::string>{"scp", (base_ / "neighbour" / "sub" / "file").string(),
                                                 name + ":/tmp/x"}}) {
        auto r = machine(args);
        EXPECT_EQ(r.exit_code, 1) << "scp '" << name << "'\n" << r.err;
        EXPECT_NE(r.err.find("Invalid hostname specified"), std::string::npos) << r.err;
      }
    }
    ASSERT_EQ(tree_fingerprint(base_), before) << "after name '" << name.substr(0, 40) << "'";
  }
  EXPECT_EQ(read_file(base_ / "neighbour" / "sub" / "file"), "precious");
  EXPECT_TRUE(std::filesystem::exists(store_ / "machines" / "keep" / "config.json"));
  EXPECT_FALSE(std::filesystem::exists(base_ / "out"));
}

TEST_F(HostileNames, CreateRefusesANameWhoseSocketPathWouldNotFitBeforeMakingAnything) {
  auto deep = base_ / std::string(50, 'd');
  auto name = std::string(60, 'n');
  Command cmd;
  const char* bin = std::getenv("MACHINE_BINARY");
  cmd.program = bin ? bin : MACHINE_BINARY_PATH;
  cmd.args = {"-s", deep.string(), "create", "-d", "none", "--url", "tcp://127.0.0.1:9", name};
  cmd.env = {{"DOCKER_CONFIG", (base_ / "docker").string()}};
  cmd.timeout = 120s;  // generous: CI hosts run VMs beside this test
  auto r = runner_->run(cmd);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("use a shorter name or a shorter storage path"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(deep)) << "nothing is made";
}

}  // namespace
}  // namespace machine::cli
