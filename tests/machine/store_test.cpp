#include "machine/store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <thread>

#include "machine/error.h"
#include "machine/fs.h"
#include "tests/support/temp_dir.h"

namespace machine {
namespace {
using testing::TempDir;
using testing::tree_fingerprint;

Host sample(const std::string& name) {
  Host h;
  h.name = name;
  h.driver_name = "none";
  h.driver = {{"URL", "tcp://127.0.0.1:2376"}};
  return h;
}

unsigned mode_of(const std::filesystem::path& p) {
  struct stat st {};
  ::stat(p.c_str(), &st);
  return st.st_mode & 07777;
}

TEST(Store, SaveThenLoadRoundTripsAndIsPrivate) {
  TempDir tmp;
  Store store(tmp.path());
  store.create_machine_dir("vm1");
  store.save(sample("vm1"));
  Host h = store.load("vm1");
  EXPECT_EQ(h.name, "vm1");
  EXPECT_EQ(h.driver["URL"], "tcp://127.0.0.1:2376");
  EXPECT_EQ(mode_of(store.machine_dir("vm1")), 0700u);
  EXPECT_EQ(mode_of(store.machine_file("vm1", machine_files::kConfig)), 0600u);
  EXPECT_EQ(mode_of(store.root()), 0700u);
}

TEST(Store, CreateTwiceFailsWithDockerMachineMessage) {
  TempDir tmp;
  Store store(tmp.path());
  store.create_machine_dir("vm1");
  try {
    store.create_machine_dir("vm1");
    FAIL() << "expected AlreadyExists";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::AlreadyExists);
    EXPECT_STREQ(e.what(), "Docker machine \"vm1\" already exists");
  }
}

TEST(Store, LoadOfUnknownMachineIsNotFound) {
  TempDir tmp;
  Store store(tmp.path());
  try {
    store.load("nope");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::NotFound);
    EXPECT_EQ(std::string(e.what()), machine_not_found_message("nope"));
  }
}

TEST(Store, CorruptConfigIsAnInternalErrorNamingTheMachine) {
  TempDir tmp;
  Store store(tmp.path());
  store.create_machine_dir("bad");
  fs::write_file_atomic(store.machine_file("bad", machine_files::kConfig), "{not json", 0600);
  try {
    store.load("bad");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::Internal);
    EXPECT_NE(std::string(e.what()).find("cannot read config of 'bad'"), std::string::npos);
  }
}

TEST(Store, ListSkipsHiddenEntriesAndFiles) {
  TempDir tmp;
  Store store(tmp.path());
  store.create_machine_dir("a");
  store.create_machine_dir("b");
  std::filesystem::create_directories(store.machines_dir() / ".tmp");
  testing::write_file(store.machines_dir() / "stray", "x");
  auto names = store.list();
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b"}));
}

TEST(Store, ResolveRootPrefersFlagThenEnvThenHome) {
  ::setenv("MACHINE_STORAGE_PATH", "/tmp/from-env", 1);
  EXPECT_EQ(Store::resolve_root(std::string("/tmp/from-flag")), "/tmp/from-flag");
  EXPECT_EQ(Store::resolve_root(std::nullopt), "/tmp/from-env");
  ::unsetenv("MACHINE_STORAGE_PATH");
  ::setenv("HOME", "/home/u", 1);
  EXPECT_EQ(Store::resolve_root(std::nullopt), "/home/u/.docker/machine");
}

TEST(Store, AtomicWriteReplacesWholeFile) {
  TempDir tmp;
  auto p = tmp / "f";
  fs::write_file_atomic(p, "first", 0600);
  fs::write_file_atomic(p, "second", 0644);
  EXPECT_EQ(testing::read_file(p), "second");
  EXPECT_EQ(mode_of(p), 0644u);
  size_t entries = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(tmp.path())) ++entries;
  EXPECT_EQ(entries, 1u) << "no temp file left behind";
}

// Only names inside this test's temp dir: if the rule regressed, nothing outside it is at risk.
std::vector<std::string> hostile_names(const TempDir& tmp) {
  return {"..",
          ".",
          (tmp / "neighbour").string(),
          "a/b",
          "",
          std::string(300, 'x'),
          "a\nb",
          "n1/..",
          "../neighbour",
          (tmp / "store" / "machines" / "keep").string()};
}

TEST(Store, EveryMethodTakingANameRefusesHostileNamesAndTouchesNothing) {
  TempDir tmp;
  Store store(tmp / "store");
  store.create_machine_dir("keep");
  store.save(sample("keep"));
  store.create_machine_dir("n1");
  std::filesystem::create_directories(tmp / "neighbour" / "sub");
  testing::write_file(tmp / "neighbour" / "sub" / "f", "data");
  const auto before = tree_fingerprint(tmp.path());
  for (const auto& name : hostile_names(tmp)) {
    auto expect_invalid = [&](auto&& f, const char* what) {
      try {
        f();
        ADD_FAILURE() << what << " accepted " << name;
      } catch (const Error& e) {
        EXPECT_EQ(e.code(), Code::InvalidArgument) << what << " " << name << ": " << e.what();
        EXPECT_EQ(std::string(e.what()).rfind(std::string(kInvalidHostnameMessage), 0), 0u) << e.what();
      }
    };
    expect_invalid([&] { store.machine_dir(name); }, "machine_dir");
    expect_invalid([&] { store.machine_file(name, machine_files::kConfig); }, "machine_file");
    expect_invalid([&] { store.exists(name); }, "exists");
    expect_invalid([&] { store.load(name); }, "load");
    expect_invalid([&] { store.create_machine_dir(name); }, "create_machine_dir");
    expect_invalid([&] { store.remove(name); }, "remove");
    expect_invalid([&] { store.lock(name); }, "lock");
    Host h = sample("keep");
    h.name = name;
    expect_invalid([&] { store.save(h); }, "save");
  }
  EXPECT_EQ(tree_fingerprint(tmp.path()), before);
}

TEST(Store, RemoveDeletesASymlinkedEntryButNeverItsTarget) {
  TempDir tmp;
  Store store(tmp / "store");
  store.create_machine_dir("keep");
  std::filesystem::create_directories(tmp / "outside");
  testing::write_file(tmp / "outside" / "precious", "data");
  std::filesystem::create_directory_symlink(tmp / "outside", store.machines_dir() / "evil");
  store.remove("evil");
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(store.machines_dir() / "evil")));
  EXPECT_EQ(testing::read_file(tmp / "outside" / "precious"), "data");
  EXPECT_TRUE(store.exists("keep"));
}

TEST(Store, RemoveDoesNotFollowSymlinksInsideTheMachineDir) {
  TempDir tmp;
  Store store(tmp / "store");
  store.create_machine_dir("vm1");
  std::filesystem::create_directories(tmp / "outside");
  testing::write_file(tmp / "outside" / "precious", "data");
  std::filesystem::create_directory_symlink(tmp / "outside", store.machine_dir("vm1") / "link");
  store.remove("vm1");
  EXPECT_FALSE(store.exists("vm1"));
  EXPECT_EQ(testing::read_file(tmp / "outside" / "precious"), "data");
}

TEST(Store, RemoveOfAnAbsentMachineIsANoOp) {
  TempDir tmp;
  Store store(tmp / "store");
  EXPECT_NO_THROW(store.remove("gone"));
}

TEST(Fs, IsDirectChildAcceptsOnlyEntriesWhoseResolvedParentIsTheDir) {
  TempDir tmp;
  auto machines = tmp / "store" / "machines";
  std::filesystem::create_directories(machines / "vm1" / "inner");
  std::filesystem::create_directories(tmp / "other");
  std::filesystem::create_directory_symlink(tmp / "other", machines / "link");
  std::filesystem::create_directory_symlink(machines, tmp / "alias");
  EXPECT_TRUE(fs::is_direct_child(machines, machines / "vm1"));
  EXPECT_TRUE(fs::is_direct_child(machines, machines / "link"));  // the link itself, not its target
  EXPECT_TRUE(fs::is_direct_child(machines, tmp / "alias" / "vm1"));
  EXPECT_FALSE(fs::is_direct_child(machines, machines / "vm1" / "inner"));
  EXPECT_FALSE(fs::is_direct_child(machines, machines / ".."));
  EXPECT_FALSE(fs::is_direct_child(machines, machines / "."));
  EXPECT_FALSE(fs::is_direct_child(machines, machines / "vm1" / ".."));
  EXPECT_FALSE(fs::is_direct_child(machines, tmp / "other"));
  EXPECT_FALSE(fs::is_direct_child(machines, machines / "link" / "x"));
  EXPECT_FALSE(fs::is_direct_child(machines, tmp.path()));
  EXPECT_FALSE(fs::is_direct_child(machines, machines));
  EXPECT_FALSE(fs::is_direct_child(machines, machines / "absent"));
  EXPECT_FALSE(fs::is_direct_child(machines, "/"));
}

TEST(Store, SocketPathLimitIsCheckedAgainstTheStorePath) {
  TempDir tmp;
  Store short_store(tmp / "s");
  EXPECT_NO_THROW(short_store.require_socket_paths_fit(std::string(40, 'a')));
  // <root>/machines/<name>/qmp.sock must stay under 108 bytes.
  auto deep = tmp / std::string(60, 'd');
  Store long_store(deep);
  try {
    long_store.require_socket_paths_fit(std::string(63, 'a'));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::InvalidArgument);
    EXPECT_NE(std::string(e.what()).find("use a shorter name or a shorter storage path"), std::string::npos);
  }
  EXPECT_FALSE(std::filesystem::exists(deep));
}

}  // namespace
}  // namespace machine
