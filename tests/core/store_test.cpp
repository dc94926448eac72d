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

TEST(Store, TryLockFailsWhileAnotherHolderHasIt) {
  TempDir tmp;
  Store store(tmp.path());
  auto held = store.lock("vm1");
  // flock is per open file description: a second open in this process conflicts too.
  EXPECT_FALSE(store.try_lock("vm1").has_value());
  EXPECT_TRUE(store.try_lock("other").has_value());
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

}  // namespace
}  // namespace machine
