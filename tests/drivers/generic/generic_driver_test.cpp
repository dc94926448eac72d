#include "drivers/generic/generic_driver.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "machine/error.h"
#include "tests/support/fake_process_runner.h"
#include "tests/support/temp_dir.h"

namespace machine::drivers {
namespace {
using machine::testing::FakeProcessRunner;

// A listening socket on 127.0.0.1 at a kernel-chosen port.
struct Listener {
  int fd = -1;
  int port = 0;
  Listener() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd, 4);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~Listener() { ::close(fd); }
};

struct GenericDriverTest : ::testing::Test {
  machine::testing::TempDir tmp;
  FakeProcessRunner runner;
  NullProgress progress;
  Context ctx{"gen", tmp / "machines/gen", tmp.path(), runner, progress};

  FlagValues flags(int ssh_port) {
    machine::testing::write_file(tmp / "key", "KEY");
    FlagValues f;
    f.set("generic-ip-address", {"127.0.0.1"});
    f.set("generic-ssh-port", {std::to_string(ssh_port)});
    f.set("generic-ssh-user", {"docker"});
    f.set("generic-ssh-key", {(tmp / "key").string()});
    return f;
  }
};

TEST_F(GenericDriverTest, RequiresIpAddress) {
  GenericDriver d(ctx);
  try {
    d.configure(FlagValues{});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::InvalidArgument);
    EXPECT_NE(std::string(e.what()).find("--generic-ip-address"), std::string::npos);
  }
}

TEST_F(GenericDriverTest, RejectsPortOutOfRange) {
  GenericDriver d(ctx);
  auto f = flags(22);
  f.set("generic-ssh-port", {"70000"});
  EXPECT_THROW(d.configure(f), Error);
}

TEST_F(GenericDriverTest, StateFollowsTheSshPort) {
  GenericDriver d(ctx);
  int closed_port;
  {
    Listener l;
    d.configure(flags(l.port));
    EXPECT_EQ(d.state().state, State::Running);
    closed_port = l.port;
  }
  GenericDriver d2(ctx);
  d2.configure(flags(closed_port));
  EXPECT_EQ(d2.state().state, State::Stopped);
}

TEST_F(GenericDriverTest, CreateCopiesKeyPrivatelyAndUrlUsesEnginePort) {
  std::filesystem::create_directories(ctx.machine_dir);
  GenericDriver d(ctx);
  auto f = flags(22);
  f.set("generic-engine-port", {"12376"});
  d.configure(f);
  d.pre_create_check();
  d.create({});
  auto key = ctx.machine_dir / "id_rsa";
  EXPECT_EQ(machine::testing::read_file(key), "KEY");
  EXPECT_EQ(std::filesystem::status(key).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_EQ(d.engine_url(), "tcp://127.0.0.1:12376");
  EXPECT_EQ(d.ssh_address().user, "docker");
}

TEST_F(GenericDriverTest, RestartRebootsOverSshWithPinnedHostKey) {
  runner.on("ssh", [](const Command&) { return ProcessResult{0, "", "", false}; });
  GenericDriver d(ctx);
  d.configure(flags(2222));
  d.restart();
  ASSERT_EQ(runner.commands().size(), 1u);
  auto c = runner.commands()[0];
  EXPECT_NE(c.find("-F /dev/null"), std::string::npos) << c;
  EXPECT_NE(c.find("StrictHostKeyChecking=yes"), std::string::npos) << c;
  EXPECT_NE(c.find("GlobalKnownHostsFile=/dev/null"), std::string::npos) << c;
  EXPECT_NE(c.find("-p 2222"), std::string::npos) << c;
  EXPECT_NE(c.find("-- docker@127.0.0.1 'sudo nohup sh -c '"), std::string::npos) << c;
  EXPECT_NE(c.find("shutdown -r now"), std::string::npos) << c;
}

TEST_F(GenericDriverTest, RestartCountsAConnectionTheRebootClosedAsDone) {
  runner.on("ssh", [](const Command&) {
    return ProcessResult{255, "", "Connection to 127.0.0.1 closed by remote host.\n", false};
  });
  GenericDriver d(ctx);
  d.configure(flags(2222));
  EXPECT_NO_THROW(d.restart());
}

TEST_F(GenericDriverTest, RestartFailsWhenSshItselfFails) {
  for (const char* err :
       {"Host key verification failed.\n", "docker@127.0.0.1: Permission denied (publickey).\n",
        "ssh: connect to host 127.0.0.1 port 2222: Connection refused\n"}) {
    runner.on("ssh", [err](const Command&) { return ProcessResult{255, "", err, false}; });
    GenericDriver d(ctx);
    d.configure(flags(2222));
    try {
      d.restart();
      ADD_FAILURE() << "accepted: " << err;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("exited with status 255"), std::string::npos) << e.what();
    }
  }
}

TEST_F(GenericDriverTest, SshUserMustBeALoginName) {
  for (const char* user : {"-oProxyCommand=x", "a b", "root\n", "Admin", "a@b"}) {
    GenericDriver d(ctx);
    auto f = flags(22);
    f.set("generic-ssh-user", {user}, true);
    EXPECT_THROW(d.configure(f), Error) << user;
  }
}

TEST_F(GenericDriverTest, RestartFailureCarriesStatus) {
  runner.on("ssh", [](const Command&) {
    return ProcessResult{1, "", "sudo: a password is required", false};
  });
  GenericDriver d(ctx);
  d.configure(flags(2222));
  try {
    d.restart();
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("password is required"), std::string::npos);
  }
}

TEST_F(GenericDriverTest, StartAndStopAreRefusedWithDockerMachineMessages) {
  GenericDriver d(ctx);
  d.configure(flags(22));
  try {
    d.start();
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "generic driver does not support start");
  }
  EXPECT_THROW(d.stop(), Error);
  EXPECT_THROW(d.kill(), Error);
}

TEST_F(GenericDriverTest, JsonRoundTrip) {
  GenericDriver d(ctx);
  auto f = flags(2200);
  d.configure(f);
  GenericDriver back(ctx);
  back.from_json(d.to_json());
  EXPECT_EQ(back.ssh_address().port, 2200);
  EXPECT_EQ(back.to_json(), d.to_json());
}

}  // namespace
}  // namespace machine::drivers
