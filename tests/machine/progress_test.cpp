// ConsoleProgress on a real pseudo-terminal (the heartbeat: status redrawn every second with
// the seconds since the step began and a turning spinner) and on a plain file (one line per
// distinct status, no carriage returns or escape codes).
#include "machine/progress.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <unistd.h>

#include <thread>

#include "tests/support/temp_dir.h"

namespace machine {
namespace {
using namespace std::chrono_literals;
using machine::testing::read_file;
using machine::testing::TempDir;

TEST(ConsoleProgress, PipedStatusesArePlainLinesWithoutRepeats) {
  TempDir dir;
  std::FILE* out = std::fopen((dir / "out").c_str(), "w");
  std::FILE* err = std::fopen((dir / "err").c_str(), "w");
  {
    ConsoleProgress p(out, err);
    p.step("Creating machine...");
    for (int i = 0; i < 3; ++i) p.status("waiting for the guest to boot");  // polled
    p.status("waiting for SSH");
    p.step("installing Debian packages");
    p.status("installing Debian packages");  // the heartbeat twin of a step: nothing new
    p.step("Docker is up and running!");
  }
  std::fclose(out);
  std::fclose(err);
  EXPECT_EQ(read_file(dir / "out"),
            "Creating machine...\ninstalling Debian packages\nDocker is up and running!\n");
  std::string e = read_file(dir / "err");
  EXPECT_EQ(e, "waiting for the guest to boot\nwaiting for SSH\n");
  EXPECT_EQ(e.find_first_of("\r\033"), std::string::npos);
}

TEST(ConsoleProgress, TerminalShowsElapsedSecondsAndATurningSpinner) {
  int master = -1, slave = -1;
  ASSERT_EQ(::openpty(&master, &slave, nullptr, nullptr, nullptr), 0);
  TempDir dir;
  std::FILE* out = std::fopen((dir / "out").c_str(), "w");
  std::FILE* tty = ::fdopen(slave, "w");
  std::string seen;
  auto drain = [&] {
    char buf[4096];
    pollfd pfd{master, POLLIN, 0};
    while (::poll(&pfd, 1, 0) > 0) {
      ssize_t n = ::read(master, buf, sizeof buf);
      if (n <= 0) break;
      seen.append(buf, static_cast<size_t>(n));
    }
  };
  {
    ConsoleProgress p(out, tty);
    p.step("Waiting for machine to be running, this may take a few minutes...");
    p.status("waiting for SSH");
    for (int i = 0; i < 25; ++i) {  // 2.5 s: two heartbeats after the first draw
      std::this_thread::sleep_for(100ms);
      p.status("waiting for SSH");
      drain();
    }
    p.step("Detecting operating system of created instance...");
  }
  drain();
  std::fclose(out);
  std::fclose(tty);
  ::close(master);
  EXPECT_NE(seen.find("| waiting for SSH (0 s)"), std::string::npos) << seen;
  EXPECT_NE(seen.find("waiting for SSH (1 s)"), std::string::npos) << seen;
  EXPECT_NE(seen.find("waiting for SSH (2 s)"), std::string::npos) << seen;
  EXPECT_NE(seen.find("/ waiting for SSH"), std::string::npos) << seen;  // the spinner turned
  EXPECT_NE(seen.find("\r\033[K"), std::string::npos);
  // Steps stay plain lines on stdout, and the status line is cleared before each.
  EXPECT_EQ(read_file(dir / "out"),
            "Waiting for machine to be running, this may take a few minutes...\n"
            "Detecting operating system of created instance...\n");
  EXPECT_EQ(seen.substr(seen.size() - 4), "\r\033[K");
}

}  // namespace
}  // namespace machine
