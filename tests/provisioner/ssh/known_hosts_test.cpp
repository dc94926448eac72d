#include "provisioner/ssh/known_hosts.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "provisioner/ssh/keygen.h"
#include "tests/support/temp_dir.h"

namespace machine::ssh {
namespace {

using machine::testing::TempDir;
using ::testing::HasSubstr;

// Captured from OpenSSH 9.2 `ssh-keygen -t ed25519` (a throwaway key) and its `ssh-keygen -lf`.
constexpr const char* kEd25519 = "AAAAC3NzaC1lZDI1NTE5AAAAIIRFlXQkEzthzQORMxfZWVNXuos3TGjkL/k/YbQFxP47";
constexpr const char* kEd25519Fingerprint = "SHA256:/0XeHJl9dMfn6Abfi1nH7Rsw5yrDKYblogHmn3ki4MY";

HostKey fresh_key() {
  auto pair = generate_key_pair(KeyType::Ed25519, "");
  auto b64 = pair.public_key.substr(pair.public_key.find(' ') + 1);
  return parse_host_key("ssh-ed25519", b64);
}

TEST(KnownHosts, FingerprintIsOpenSshStyle) {
  HostKey key = parse_host_key("ssh-ed25519", kEd25519);
  EXPECT_EQ(key.type, "ssh-ed25519");
  EXPECT_EQ(key.fingerprint(), kEd25519Fingerprint);
  EXPECT_EQ(key.base64(), kEd25519);
}

TEST(KnownHosts, RejectsKeyWhoseTypeDoesNotMatchItsData) {
  EXPECT_THROW(parse_host_key("ssh-rsa", kEd25519), Error);
  EXPECT_THROW(parse_host_key("ssh-ed25519", "not base64!"), Error);
}

TEST(KnownHosts, NameUsesBracketsForNonStandardPorts) {
  EXPECT_EQ(known_hosts_name("127.0.0.1", 22), "127.0.0.1");
  EXPECT_EQ(known_hosts_name("127.0.0.1", 2222), "[127.0.0.1]:2222");
}

TEST(KnownHosts, ParsesPlainMarkedAndCommentedLinesAndSkipsGarbage) {
  std::string text = std::string("# a comment\n\n") + "[127.0.0.1]:2222,vm1 ssh-ed25519 " + kEd25519 +
                     " my comment\r\n" + "@revoked * ssh-ed25519 " + kEd25519 + "\n" + "broken line\n" +
                     "host ssh-ed25519 !!!!\n";
  auto entries = parse_known_hosts(text);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].hosts, "[127.0.0.1]:2222,vm1");
  EXPECT_EQ(entries[0].comment, "my comment");
  EXPECT_EQ(entries[0].key.type, "ssh-ed25519");
  EXPECT_EQ(entries[1].marker, "@revoked");
  EXPECT_EQ(format_known_hosts_line(entries[0]),
            std::string("[127.0.0.1]:2222,vm1 ssh-ed25519 ") + kEd25519 + " my comment");
}

TEST(KnownHosts, MatchesPatternsWildcardsNegationAndHashes) {
  KnownHostEntry e{"", "[127.0.0.1]:2222,*.example,!bad.example", parse_host_key("ssh-ed25519", kEd25519),
                   ""};
  EXPECT_TRUE(known_hosts_entry_matches(e, "[127.0.0.1]:2222"));
  EXPECT_FALSE(known_hosts_entry_matches(e, "127.0.0.1"));
  EXPECT_TRUE(known_hosts_entry_matches(e, "vm.example"));
  EXPECT_FALSE(known_hosts_entry_matches(e, "bad.example"));
  // Produced by `ssh-keygen -H` for the name "[127.0.0.1]:2222".
  KnownHostEntry hashed{"", "|1|VvVQS6PP4Y5BDX7OepSanZTqaVY=|mHA8xsxJ1djwz1eo48hi8Fl3W4I=", e.key, ""};
  EXPECT_TRUE(known_hosts_entry_matches(hashed, "[127.0.0.1]:2222"));
  EXPECT_FALSE(known_hosts_entry_matches(hashed, "[127.0.0.1]:2223"));
}

TEST(KnownHosts, WriteThenReadPinnedKeysWithPrivateMode) {
  TempDir dir;
  auto path = dir / "known_hosts";
  HostKey a = fresh_key(), b = fresh_key();
  write_known_hosts(path, "127.0.0.1", 2222, {a, b});
  EXPECT_EQ(pinned_host_keys(path, "127.0.0.1", 2222), (std::vector<HostKey>{a, b}));
  EXPECT_TRUE(pinned_host_keys(path, "127.0.0.1", 2223).empty());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  HostKey c = fresh_key();
  add_known_host(path, "127.0.0.1", 2223, c);
  EXPECT_EQ(pinned_host_keys(path, "127.0.0.1", 2223), (std::vector<HostKey>{c}));
  EXPECT_EQ(pinned_host_keys(path, "127.0.0.1", 2222).size(), 2u);
}

TEST(KnownHosts, MissingFileHasNoPinnedKeys) {
  TempDir dir;
  EXPECT_TRUE(pinned_host_keys(dir / "nope", "127.0.0.1", 22).empty());
}

TEST(HostKeyCheck, AcceptsThePinnedKey) {
  TempDir dir;
  HostKey k = fresh_key();
  write_known_hosts(dir / "kh", "127.0.0.1", 2222, {k});
  EXPECT_NO_THROW(verify_host_key(dir / "kh", "127.0.0.1", 2222, k, HostKeyPolicy::Pinned, "vm1"));
}

TEST(HostKeyCheck, MismatchNamesMachineAndBothFingerprints) {
  TempDir dir;
  HostKey pinned = fresh_key(), seen = fresh_key();
  write_known_hosts(dir / "kh", "127.0.0.1", 2222, {pinned});
  for (auto policy : {HostKeyPolicy::Pinned, HostKeyPolicy::TrustOnFirstUse}) {
    try {
      verify_host_key(dir / "kh", "127.0.0.1", 2222, seen, policy, "vm1");
      FAIL() << "a mismatching key was accepted";
    } catch (const HostKeyError& e) {
      EXPECT_EQ(e.code(), Code::FailedPrecondition);
      EXPECT_THAT(e.what(), HasSubstr("'vm1'"));
      EXPECT_THAT(e.what(), HasSubstr(pinned.fingerprint()));
      EXPECT_THAT(e.what(), HasSubstr(seen.fingerprint()));
      EXPECT_THAT(e.what(), HasSubstr("mismatch"));
    }
  }
  // Nothing was learned from the refused key.
  EXPECT_EQ(pinned_host_keys(dir / "kh", "127.0.0.1", 2222), std::vector<HostKey>{pinned});
}

TEST(HostKeyCheck, PinnedPolicyRefusesAHostWithoutKeys) {
  TempDir dir;
  EXPECT_THROW(verify_host_key(dir / "kh", "127.0.0.1", 2222, fresh_key(), HostKeyPolicy::Pinned, "vm1"),
               HostKeyError);
}

TEST(HostKeyCheck, TrustOnFirstUseStoresTheFirstKeyThenPinsIt) {
  TempDir dir;
  HostKey first = fresh_key();
  verify_host_key(dir / "kh", "10.0.0.1", 22, first, HostKeyPolicy::TrustOnFirstUse, "gen");
  EXPECT_EQ(pinned_host_keys(dir / "kh", "10.0.0.1", 22), std::vector<HostKey>{first});
  EXPECT_THROW(
      verify_host_key(dir / "kh", "10.0.0.1", 22, fresh_key(), HostKeyPolicy::TrustOnFirstUse, "gen"),
      HostKeyError);
}

}  // namespace
}  // namespace machine::ssh
