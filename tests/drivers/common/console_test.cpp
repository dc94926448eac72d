// The serial console contract: host keys, the boot-done marker, readable tails.
#include "drivers/common/console.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace machine::drivers::common {
namespace {

const std::string kConsole =
    "[    0.000000] Linux version 6.1.0-27-cloud-amd64\r\n"
    "machine-hostkey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyOne\r\n"
    "machine-fingerprint: SHA256:abc ed25519\r\n"
    "machine-hostkey: ecdsa-sha2-nistp256 AAAAE2VjZHNhFakeKeyTwo\r\n"
    "machine-hostkey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyOne\r\n"
    "machine-docker-ready\r\n"
    "machine-boot-done\r\n";

TEST(Console, ParsesHostKeysOnceEach) {
  EXPECT_EQ(parse_host_keys(kConsole),
            (std::vector<std::string>{"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyOne",
                                      "ecdsa-sha2-nistp256 AAAAE2VjZHNhFakeKeyTwo"}));
  EXPECT_TRUE(parse_host_keys("machine-hostkey: truncated").empty());
}

TEST(Console, ReadsCloudInitHostKeyBlockOfStockImages) {
  // As cloud-init 22 prints it on a stock Debian cloud image's console.
  const std::string console =
      "ci-info: no authorized SSH keys fingerprints found for user debian.\r\n"
      "<14>Nov 23 12:00:01 cloud-init: #############################################################\r\n"
      "-----BEGIN SSH HOST KEY KEYS-----\r\n"
      "ecdsa-sha2-nistp256 AAAAE2VjZHNhLocalKey root@debian\r\n"
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILocalKey root@debian\r\n"
      "-----END SSH HOST KEY KEYS-----\r\n"
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOutsideBlock root@debian\r\n";
  EXPECT_EQ(parse_host_keys(console),
            (std::vector<std::string>{"ecdsa-sha2-nistp256 AAAAE2VjZHNhLocalKey",
                                      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILocalKey"}));
}

// Issue 17 item 13: read while cloud-init is still writing its block, the keys so far (the
// last one possibly cut off) must not be pinned.
TEST(Console, AnUnfinishedCloudInitBlockGivesNoKeys) {
  const std::string writing =
      "-----BEGIN SSH HOST KEY KEYS-----\r\n"
      "ecdsa-sha2-nistp256 AAAAE2VjZHNhLocalKey root@debian\r\n"
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILoc";
  EXPECT_TRUE(parse_host_keys(writing).empty());
  EXPECT_EQ(parse_host_keys(writing + "alKey root@debian\r\n-----END SSH HOST KEY KEYS-----\r\n").size(), 2u);
  EXPECT_TRUE(parse_host_keys("-----END SSH HOST KEY KEYS-----\nssh-ed25519 AAAAC3Nza\n").empty())
      << "an END without BEGIN opens nothing";
}

TEST(Console, StockImagesWaitForTheHostKeyBlockAfterSshAnswersThenGiveUp) {
  using std::chrono::seconds;
  const std::string banner_only =
      "[   12.1] cloud-init[301]: Cloud-init v. 22.4.2 running 'modules:config'\r\n";
  EXPECT_EQ(host_key_wait(banner_only, false, seconds(0)), HostKeyWait::Wait);
  EXPECT_EQ(host_key_wait(banner_only, false, seconds(119)), HostKeyWait::Wait);
  EXPECT_EQ(host_key_wait(banner_only, false, seconds(120)), HostKeyWait::GiveUp);
  EXPECT_EQ(host_key_wait(banner_only, false, seconds(5), seconds(5)), HostKeyWait::GiveUp);
  const std::string done = banner_only +
                           "-----BEGIN SSH HOST KEY KEYS-----\r\n"
                           "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILocalKey root@debian\r\n"
                           "-----END SSH HOST KEY KEYS-----\r\n";
  EXPECT_EQ(host_key_wait(done, false, seconds(1)), HostKeyWait::Ready);
  EXPECT_EQ(host_key_wait(done, false, seconds(500)), HostKeyWait::Ready);
  // The machine OS prints its keys before boot-done, which readiness already waits for.
  EXPECT_EQ(host_key_wait(banner_only, true, seconds(0)), HostKeyWait::Ready);
}

TEST(Console, BootDoneNeedsTheWholeMarkerLine) {
  EXPECT_TRUE(boot_done(kConsole));
  EXPECT_FALSE(boot_done("machine-docker-ready\nmachine-boot-do"));
  EXPECT_FALSE(boot_done("echo machine-boot-done > /dev/console\n"));
}

TEST(Console, LastLinesDropsBlankLinesAndControlCharacters) {
  EXPECT_EQ(last_lines("a\n\n\x1b[0mb\r\n  \nc\n", 2), "[0mb\nc");
  EXPECT_EQ(last_lines("", 3), "");
}

TEST(Console, ReadsOnlyTheTailOfBigFiles) {
  testing::TempDir dir;
  testing::write_file(dir / "serial.log", std::string(100000, 'x') + "\nlast line\n");
  auto tail = read_file_tail(dir / "serial.log", 64);
  EXPECT_EQ(tail.size(), 64u);
  EXPECT_EQ(last_lines(tail, 1), "last line");
  EXPECT_EQ(read_file_tail(dir / "missing"), "");
}

}  // namespace
}  // namespace machine::drivers::common
