// --format json on ls, inspect, image ls and network ls: one JSON object per line, like the
// docker CLI, through the real binary on a temporary store.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "machine/process_runner.h"
#include "machine/store.h"
#include "tests/support/temp_dir.h"

namespace machine::cli {
namespace {
using machine::testing::TempDir;
using machine::testing::write_file;

ProcessResult run_in(const TempDir& store, std::vector<std::string> args) {
  const char* env = std::getenv("MACHINE_BINARY");
  std::string bin = env && std::filesystem::exists(env) ? env : MACHINE_BINARY_PATH;
  args.insert(args.begin(), {"-s", store.path().string()});
  Command c{bin, args};
  c.timeout = std::chrono::seconds(60);
  return make_system_process_runner()->run(c);
}

std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    out.push_back(nlohmann::json::parse(l));  // throws if not one object
  return out;
}

class FormatJson : public ::testing::Test {
 protected:
  void SetUp() override {
    Store store(dir_.path());
    for (const char* name : {"vm2", "vm10"}) {
      store.create_machine_dir(name);
      Host h;
      h.name = name;
      h.driver_name = "none";
      // Nothing listens on port 1: the engine is unreachable, which ls reports in the object.
      h.driver = {{"URL", "tcp://127.0.0.1:1"}, {"MachineName", name}};
      h.options.driver = "none";
      store.save(h);
    }
  }
  TempDir dir_;
};

TEST_F(FormatJson, LsPrintsOneObjectPerMachineInNaturalOrder) {
  auto r = run_in(dir_, {"ls", "--format", "json", "--timeout", "5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto rows = json_lines(r.out);
  ASSERT_EQ(rows.size(), 2u) << r.out;
  EXPECT_EQ(rows[0]["Name"], "vm2");
  EXPECT_EQ(rows[1]["Name"], "vm10");
  EXPECT_EQ(rows[0]["DriverName"], "none");
  EXPECT_TRUE(rows[0].contains("State") && rows[0].contains("URL") && rows[0].contains("Error")) << rows[0];
  // Templates still work alongside.
  r = run_in(dir_, {"ls", "--format", "{{.Name}}:{{.DriverName}}", "--timeout", "5"});
  EXPECT_EQ(r.out, "vm2:none\nvm10:none\n");
}

TEST_F(FormatJson, InspectPrintsTheSameConfigOnOneLine) {
  auto pretty = run_in(dir_, {"inspect", "vm2"});
  auto line = run_in(dir_, {"inspect", "--format", "json", "vm2"});
  ASSERT_EQ(line.exit_code, 0) << line.err;
  ASSERT_EQ(std::count(line.out.begin(), line.out.end(), '\n'), 1) << line.out;
  EXPECT_EQ(nlohmann::json::parse(line.out), nlohmann::json::parse(pretty.out));
  EXPECT_EQ(nlohmann::json::parse(line.out)["Name"], "vm2");
}

TEST_F(FormatJson, ImageAndNetworkListsPrintObjectsOrNothing) {
  // An image directory as the cache keeps it (manifest + files).
  auto img = dir_.path() / "cache" / "images" / "machineos-9.9.9-abc";
  std::filesystem::create_directories(img);
  write_file(
      img / "manifest.json",
      R"({"name":"machineos","version":"9.9.9-abc","kernel_version":"6.1.0-test","built_at":"2026-01-01T00:00:00Z",)"
      R"("files":{"kernel":{"name":"vmlinuz","size":4},"initrd":{"name":"initrd.img","size":4},)"
      R"("disk":{"name":"disk.qcow2","size":4}}})");
  for (const char* f : {"vmlinuz", "initrd.img", "disk.qcow2"}) write_file(img / f, "1234");
  auto r = run_in(dir_, {"image", "ls", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto rows = json_lines(r.out);
  ASSERT_EQ(rows.size(), 1u) << r.out;
  EXPECT_EQ(rows[0]["Kernel"], "6.1.0-test");
  EXPECT_EQ(rows[0]["Size"], 12);
  r = run_in(dir_, {"network", "ls", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");  // no networks: no lines (the table would print a header)
  EXPECT_NE(run_in(dir_, {"network", "ls"}).out, "");
}

}  // namespace
}  // namespace machine::cli
