#include "provisioner/ssh/keygen.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "machine/error.h"
#include "machine/process_runner.h"
#include "tests/support/temp_dir.h"

namespace machine::ssh {
namespace {

using machine::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::StartsWith;

unsigned mode_of(const std::filesystem::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return 0;
  return st.st_mode & 0777;
}

// The public half OpenSSH derives from our private key file, without the comment.
std::string openssh_public_of(const std::filesystem::path& key) {
  auto runner = make_system_process_runner();
  auto r = run_checked(*runner, Command{"ssh-keygen", {"-y", "-f", key.string()}}, "ssh-keygen");
  std::string out = r.out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string without_comment(const std::string& line) {
  auto second_space = line.find(' ', line.find(' ') + 1);
  return line.substr(0, second_space);
}

TEST(Keygen, PrefersEd25519WithTheLinkedLibssh2) { EXPECT_EQ(preferred_key_type(), KeyType::Ed25519); }

TEST(Keygen, Ed25519KeyIsReadByOpenSshAndMatchesThePublicLine) {
  TempDir dir;
  auto key = dir / "id_ed25519";
  std::string pub = create_machine_key(key, "machine-vm1");
  EXPECT_THAT(pub, StartsWith("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5"));
  EXPECT_THAT(pub, ::testing::EndsWith(" machine-vm1"));
  EXPECT_THAT(machine::testing::read_file(key), StartsWith("-----BEGIN OPENSSH PRIVATE KEY-----\n"));
  EXPECT_EQ(mode_of(key), 0600u);
  EXPECT_EQ(mode_of(dir / "id_ed25519.pub"), 0644u);
  EXPECT_EQ(read_public_key(key), pub);
  EXPECT_EQ(without_comment(openssh_public_of(key)), without_comment(pub));
}

TEST(Keygen, RsaFallbackKeyIsReadByOpenSsh) {
  TempDir dir;
  auto pair = generate_key_pair(KeyType::Rsa, "c");
  EXPECT_THAT(pair.private_key, StartsWith("-----BEGIN RSA PRIVATE KEY-----"));
  write_key_pair(pair, dir / "id_rsa");
  EXPECT_EQ(without_comment(openssh_public_of(dir / "id_rsa")), without_comment(pair.public_key));
}

TEST(Keygen, EachKeyIsDifferent) {
  EXPECT_NE(generate_key_pair(KeyType::Ed25519, "").public_key,
            generate_key_pair(KeyType::Ed25519, "").public_key);
}

TEST(Keygen, NeverOverwritesAnExistingKey) {
  TempDir dir;
  auto key = dir / "id_ed25519";
  std::string first = create_machine_key(key, "a");
  try {
    create_machine_key(key, "b");
    FAIL() << "overwrote a key";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Code::AlreadyExists);
  }
  EXPECT_EQ(read_public_key(key), first);
}

}  // namespace
}  // namespace machine::ssh
