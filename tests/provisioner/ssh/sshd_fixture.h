#pragma once
// A fresh sshd (tests/provisioner/ssh/local_sshd.h) and temp dir per test.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <memory>
#include <random>

#include "tests/provisioner/ssh/local_sshd.h"
#include "tests/support/temp_dir.h"

namespace machine::testing {

class SshdTest : public ::testing::Test {
 protected:
  void SetUp() override { sshd_ = std::make_unique<LocalSshd>(dir_ / "sshd"); }
  void TearDown() override {
    if (HasFailure() && sshd_) std::cerr << "sshd log:\n" << sshd_->log();
  }

  std::unique_ptr<ssh::SshSession> connect(ssh::SshOptions options = {}) {
    if (options.machine_name.empty()) options.machine_name = "vm1";
    return client_->connect(sshd_->endpoint(), options);
  }

  TempDir dir_;
  std::unique_ptr<LocalSshd> sshd_;
  std::unique_ptr<ssh::SshClient> client_ = ssh::make_libssh2_client();
};

inline std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

inline std::string random_bytes(std::size_t size, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; i += 8) {
    auto v = rng();
    for (std::size_t j = 0; j < 8 && i + j < size; ++j) s[i + j] = static_cast<char>(v >> (8 * j));
  }
  return s;
}

}  // namespace machine::testing
