// The pieces the fault tier leans on, without a VM: cancellation semantics (every signal
// rolls back, none ends the process early, rollback is shielded), a lock wait that Ctrl-C
// ends, the image cache's shared hold against rebuild/rm (issue 17.4).
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <thread>

#include "guest/image_cache.h"
#include "machine/cancel.h"
#include "machine/error.h"
#include "machine/store.h"
#include "tests/support/fake_process_runner.h"
#include "tests/support/temp_dir.h"

namespace machine {
namespace {
using namespace std::chrono_literals;

class Cancellation : public ::testing::Test {
 protected:
  void SetUp() override {
    reset_cancel();
    install_cancel_handlers();
  }
  void TearDown() override { reset_cancel(); }
};

TEST_F(Cancellation, EachSignalRequestsCancellationAndNamesTheExitStatus) {
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    reset_cancel();
    ASSERT_EQ(::raise(sig), 0);
    EXPECT_TRUE(cancel_requested());
    EXPECT_EQ(cancel_exit_status(), 128 + sig);
    EXPECT_THROW(throw_if_cancelled(), Error);
  }
}

TEST_F(Cancellation, ASecondSignalDoesNotEndTheProcessAndKeepsTheFirst) {
  ASSERT_EQ(::raise(SIGINT), 0);
  ASSERT_EQ(::raise(SIGINT), 0);  // before the fix this re-raised with the default action
  ASSERT_EQ(::raise(SIGTERM), 0);
  EXPECT_EQ(cancel_exit_status(), 130);
}

TEST_F(Cancellation, ShieldLetsRollbackRunToTheEnd) {
  request_cancel();
  {
    CancelShield shield;
    EXPECT_NO_THROW(throw_if_cancelled());
  }
  EXPECT_THROW(throw_if_cancelled(), Error);
}

TEST_F(Cancellation, WaitingForAMachineLockEndsOnCtrlC) {
  machine::testing::TempDir tmp;
  Store store(tmp.path());
  auto held = store.lock("vm1");  // another command holds it
  auto waiter = std::async(std::launch::async, [&] {
    try {
      auto l = store.lock("vm1");
      return std::string("locked");
    } catch (const Error& e) {
      return std::string(e.code() == Code::Cancelled ? "cancelled" : e.what());
    }
  });
  EXPECT_EQ(waiter.wait_for(300ms), std::future_status::timeout);
  ::raise(SIGINT);
  ASSERT_EQ(waiter.wait_for(5s), std::future_status::ready) << "the lock wait ignored Ctrl-C";
  EXPECT_EQ(waiter.get(), "cancelled");
}

TEST(ImageHold, RemoveWaitsForACreateHoldingTheCacheAndThenSeesIt) {
  machine::testing::TempDir tmp;
  machine::testing::FakeProcessRunner runner;
  guest::ImageCache cache(tmp.path(), runner);
  std::atomic<bool> checked{false};
  std::future<void> removing;
  {
    auto hold = cache.use();
    removing = std::async(std::launch::async, [&] {
      EXPECT_THROW(cache.remove("machineos-0", [&](const guest::Image&) { checked = true; }), Error);
    });
    EXPECT_EQ(removing.wait_for(300ms), std::future_status::timeout) << "rm did not wait for the create";
  }
  EXPECT_EQ(removing.wait_for(5s), std::future_status::ready);
  removing.get();
  EXPECT_FALSE(checked);  // nothing to remove: NotFound, after the lock
}

TEST(ImageHold, TwoCreatesShareTheCache) {
  machine::testing::TempDir tmp;
  machine::testing::FakeProcessRunner runner;
  guest::ImageCache cache(tmp.path(), runner);
  auto a = cache.use();
  auto second = std::async(std::launch::async, [&] { auto b = cache.use(); });
  EXPECT_EQ(second.wait_for(5s), std::future_status::ready);
}

}  // namespace
}  // namespace machine
