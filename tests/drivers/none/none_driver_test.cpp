#include "drivers/none/none_driver.h"

#include <gtest/gtest.h>

#include "drivers/registry.h"
#include "machine/error.h"

namespace machine::drivers {
namespace {

struct Fixture : ::testing::Test {
  std::unique_ptr<ProcessRunner> runner = make_system_process_runner();
  NullProgress progress;
  Context ctx{"vm1", "/tmp/x/machines/vm1", "/tmp/x", *runner, progress};
};

using NoneDriverTest = Fixture;

TEST_F(NoneDriverTest, RequiresUrlWithDockerMachineMessage) {
  NoneDriver d(ctx);
  try {
    d.configure(FlagValues{});
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "--url option is required when no driver is selected");
  }
}

TEST_F(NoneDriverTest, IsAlwaysRunningAtItsUrlAndRefusesLifecycle) {
  NoneDriver d(ctx);
  FlagValues f;
  f.set("url", {"tcp://127.0.0.1:12376"});
  d.configure(f);
  EXPECT_EQ(d.state().state, State::Running);
  EXPECT_EQ(d.engine_url(), "tcp://127.0.0.1:12376");
  EXPECT_EQ(d.ip(), "127.0.0.1");
  EXPECT_THROW(d.start(), Error);
  try {
    d.stop();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "hosts without a driver cannot be stopped");
  }
}

TEST_F(NoneDriverTest, PersistsUrlThroughJson) {
  NoneDriver d(ctx);
  FlagValues f;
  f.set("url", {"tcp://[::1]:2376"});
  d.configure(f);
  NoneDriver back(ctx);
  back.from_json(d.to_json());
  EXPECT_EQ(back.engine_url(), "tcp://[::1]:2376");
  EXPECT_EQ(back.ip(), "::1");
  EXPECT_EQ(d.to_json()["MachineName"], "vm1");
}

TEST_F(NoneDriverTest, UnknownDriverListsKnownOnes) {
  try {
    make_driver("nosuch", ctx);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::InvalidArgument);
    EXPECT_NE(std::string(e.what()).find("none"), std::string::npos);
  }
}

TEST(FlagValuesTest, TypedAccessorsValidate) {
  FlagValues f;
  f.set("n", {"12"});
  f.set("bad", {"12x"});
  f.set("b", {"true"});
  f.set("l", {"a", "b"});
  EXPECT_EQ(f.integer("n"), 12);
  EXPECT_THROW(f.integer("bad"), Error);
  EXPECT_TRUE(f.boolean("b"));
  EXPECT_FALSE(f.boolean("missing"));
  EXPECT_EQ(f.list("l"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(f.string("l"), "b");
}

}  // namespace
}  // namespace machine::drivers
