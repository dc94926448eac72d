#include "cli/host_list.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "machine/error.h"
#include "tests/cli/golden.h"

namespace machine::cli {
namespace {

Host host(const std::string& name, const std::string& driver = "none") {
  Host h;
  h.name = name;
  h.driver_name = driver;
  return h;
}

HostListItem item(const std::string& name, State st, const std::string& url) {
  HostListItem i;
  i.name = name;
  i.driver_name = "none";
  i.state = st;
  i.url = url;
  i.docker_version = "v20.10.24";
  i.swarm_options = SwarmOptions{};
  return i;
}

TEST(HostList, NaturalSortIsCaseInsensitive) {
  std::vector<HostListItem> items{item("vm10", State::Running, ""), item("VM2", State::Running, ""),
                                  item("a", State::Running, ""), item("vm1", State::Running, "")};
  natural_sort(items);
  std::vector<std::string> names;
  for (auto& i : items) names.push_back(i.name);
  EXPECT_EQ(names, (std::vector<std::string>{"a", "vm1", "VM2", "vm10"}));
  EXPECT_TRUE(natural_less("node-9", "node-10"));
  EXPECT_FALSE(natural_less("node-10", "node-9"));
  EXPECT_TRUE(natural_less("abc", "abcd"));
}

TEST(HostList, ParsesFilters) {
  auto f = parse_filters({"driver=none", "STATE=Running", "name=^vm", "label=env=prod", "swarm=m"});
  EXPECT_EQ(f.driver, std::vector<std::string>{"none"});
  EXPECT_EQ(f.state, std::vector<std::string>{"Running"});
  EXPECT_EQ(f.label, std::vector<std::string>{"env=prod"});
  EXPECT_THROW(parse_filters({"driver"}), Error);
  try {
    parse_filters({"colour=red"});
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "Unsupported filter key 'colour'");
  }
  EXPECT_THROW(parse_filters({"name=("}), Error);
}

TEST(HostList, FiltersMatchLikeDockerMachine) {
  Host a = host("vm1"), b = host("web2", "qemu");
  b.options.engine.labels = {"env=prod"};
  std::vector<Host> all{a, b};
  auto keep = [&](const Host& h, std::vector<std::string> spec, State st = State::Running) {
    return matches(h, parse_filters(spec), st, all);
  };
  EXPECT_TRUE(keep(a, {"driver=NONE"}));
  EXPECT_FALSE(keep(b, {"driver=none"}));
  EXPECT_TRUE(keep(b, {"driver=none", "driver=qemu"}));
  EXPECT_TRUE(keep(a, {"name=^vm[0-9]$"}));
  EXPECT_FALSE(keep(b, {"name=^vm"}));
  EXPECT_TRUE(keep(b, {"label=env=PROD"}));
  EXPECT_FALSE(keep(a, {"label=env=prod"}));
  EXPECT_TRUE(keep(a, {"state=running"}));
  EXPECT_FALSE(keep(a, {"state=Stopped"}));
}

TEST(HostList, ActiveWhenUrlEqualsDockerHost) {
  auto i = item("vm1", State::Running, "tcp://127.0.0.1:2376");
  mark_active(i, "tcp://127.0.0.1:2376");
  EXPECT_EQ(i.active, "*");
  mark_active(i, "tcp://127.0.0.1:2377");
  EXPECT_EQ(i.active, "-");
  auto stopped = item("vm2", State::Stopped, "tcp://127.0.0.1:2376");
  mark_active(stopped, "tcp://127.0.0.1:2376");
  EXPECT_EQ(stopped.active, "-");
  auto master = item("m", State::Running, "tcp://10.0.0.5:2376");
  master.swarm_options->master = true;
  mark_active(master, "tcp://10.0.0.5:3376");
  EXPECT_EQ(master.active, "* (swarm)");
}

TEST(HostList, SlowMachineTimesOutWithoutDelayingOthers) {
  std::atomic<bool> release{false};
  HostQuery q = [&release](const Host& h) {
    if (h.name == "slow")
      while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return item(h.name, State::Running, "tcp://x:1");
  };
  auto items = query_hosts({host("fast"), host("slow")}, q, std::chrono::milliseconds(200));
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].state, State::Running);
  EXPECT_EQ(items[1].state, State::Timeout);
  EXPECT_EQ(items[1].name, "slow");
  EXPECT_EQ(items[1].active, "");
  release = true;
  while (pending_queries() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

TEST(HostList, QueryFailureBecomesAnErrorRow) {
  HostQuery q = [](const Host&) -> HostListItem { throw Error(Code::Unavailable, "engine gone"); };
  auto items = query_hosts({host("vm1")}, q, std::chrono::seconds(5));
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].state, State::Error);
  EXPECT_EQ(items[0].error, "engine gone");
}

TEST(HostList, BrokenConfigRow) {
  auto i = error_item({"bad", std::nullopt, "cannot read config of 'bad':\nsyntax error"});
  EXPECT_EQ(i.driver_name, "not found");
  EXPECT_EQ(i.state, State::Error);
  EXPECT_EQ(i.error, "cannot read config of 'bad':syntax error");
}

TEST(HostList, GoDurations) {
  using namespace std::chrono;
  EXPECT_EQ(go_duration(nanoseconds(0)), "0s");
  EXPECT_EQ(go_duration(milliseconds(12)), "12ms");
  EXPECT_EQ(go_duration(milliseconds(1500)), "1.5s");
  EXPECT_EQ(go_duration(seconds(90)), "1m30s");
  EXPECT_EQ(go_duration(seconds(3600)), "1h0m0s");
  EXPECT_EQ(go_duration(microseconds(1500)), "1.5ms");
}

std::vector<HostListItem> sample() {
  auto a = item("vm1", State::Running, "tcp://127.0.0.1:2376");
  a.active = "*";
  auto b = item("vm10", State::Stopped, "");
  b.active = "-";
  b.docker_version = "Unknown";
  auto c = error_item({"broken", std::nullopt, "cannot read config of 'broken': invalid JSON"});
  auto d = item("slow-one", State::Timeout, "");
  d.docker_version = "";
  std::vector<HostListItem> v{a, b, c, d};
  natural_sort(v);
  return v;
}

TEST(HostList, DefaultTableMatchesGolden) {
  testing::expect_golden("ls_table.txt", render_host_list(sample(), ""));
}

TEST(HostList, CustomFormats) {
  auto items = sample();
  EXPECT_EQ(render_host_list(items, "{{.Name}}: {{.State}}"),
            "broken: Error\nslow-one: Timeout\nvm1: Running\nvm10: Stopped\n");
  EXPECT_EQ(render_host_list({items[2]}, "table {{.Name}}\\t{{.DriverName}}"),
            "NAME   DRIVER\nvm1    none\n");
  EXPECT_THROW(render_host_list(items, "{{.Bogus}}"), Error);
}

}  // namespace
}  // namespace machine::cli
