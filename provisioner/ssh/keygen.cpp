#include "provisioner/ssh/keygen.h"

#include <fmt/format.h>
#include <libssh2.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <memory>

#include "machine/error.h"
#include "machine/fs.h"
#include "provisioner/ssh/known_hosts.h"
#include "provisioner/ssh/ssh_wire.h"

namespace machine::ssh {
namespace {

using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

[[noreturn]] void openssl_fail(const char* what) {
  fail(Code::Internal, fmt::format("cannot generate ssh key: {} failed", what));
}

PkeyPtr generate(const char* algorithm, unsigned rsa_bits) {
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, algorithm, nullptr), EVP_PKEY_CTX_free);
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) <= 0) openssl_fail("EVP_PKEY_keygen_init");
  if (rsa_bits && EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), static_cast<int>(rsa_bits)) <= 0)
    openssl_fail("EVP_PKEY_CTX_set_rsa_keygen_bits");
  EVP_PKEY* key = nullptr;
  if (EVP_PKEY_generate(ctx.get(), &key) <= 0) openssl_fail("EVP_PKEY_generate");
  return PkeyPtr(key, EVP_PKEY_free);
}

std::string wrap(const std::string& b64, size_t width) {
  std::string out;
  for (size_t i = 0; i < b64.size(); i += width) out += b64.substr(i, width) + "\n";
  return out;
}

// PROTOCOL.key from OpenSSH: an unencrypted "openssh-key-v1" container holding one key.
std::string openssh_private_key(const std::string& public_blob, const std::string& private_fields,
                                const std::string& comment) {
  std::string priv;
  std::uint32_t check = 0;
  RAND_bytes(reinterpret_cast<unsigned char*>(&check), sizeof check);
  detail::put_u32(priv, check);
  detail::put_u32(priv, check);
  priv += private_fields;
  detail::put_string(priv, comment);
  for (unsigned char pad = 1; priv.size() % 8 != 0; ++pad) priv.push_back(static_cast<char>(pad));

  std::string body("openssh-key-v1", 15);  // includes the terminating NUL
  detail::put_string(body, "none");
  detail::put_string(body, "none");
  detail::put_string(body, "");
  detail::put_u32(body, 1);
  detail::put_string(body, public_blob);
  detail::put_string(body, priv);
  return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + wrap(base64_encode(body), 70) +
         "-----END OPENSSH PRIVATE KEY-----\n";
}

KeyPair ed25519_pair(const std::string& comment) {
  PkeyPtr key = generate("ED25519", 0);
  unsigned char pub[32], seed[32];
  size_t pub_len = sizeof pub, seed_len = sizeof seed;
  if (EVP_PKEY_get_raw_public_key(key.get(), pub, &pub_len) <= 0 ||
      EVP_PKEY_get_raw_private_key(key.get(), seed, &seed_len) <= 0)
    openssl_fail("EVP_PKEY_get_raw_*_key");
  std::string pk(reinterpret_cast<char*>(pub), pub_len);
  std::string blob;
  detail::put_string(blob, "ssh-ed25519");
  detail::put_string(blob, pk);
  std::string fields;
  detail::put_string(fields, "ssh-ed25519");
  detail::put_string(fields, pk);
  detail::put_string(fields, std::string(reinterpret_cast<char*>(seed), seed_len) + pk);  // seed || pk
  OPENSSL_cleanse(seed, sizeof seed);
  KeyPair pair{KeyType::Ed25519, openssh_private_key(blob, fields, comment), ""};
  OPENSSL_cleanse(fields.data(), fields.size());
  pair.public_key = "ssh-ed25519 " + base64_encode(blob) + (comment.empty() ? "" : " " + comment);
  return pair;
}

std::string bn_bytes(EVP_PKEY* key, const char* param) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, param, &bn) <= 0) openssl_fail("EVP_PKEY_get_bn_param");
  std::string out(static_cast<size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(bn);
  return out;
}

KeyPair rsa_pair(const std::string& comment) {
  PkeyPtr key = generate("RSA", 3072);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  // Traditional PKCS#1 PEM: read by every libssh2 backend and by OpenSSH.
  if (!bio ||
      PEM_write_bio_PrivateKey_traditional(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) <= 0)
    openssl_fail("PEM_write_bio_PrivateKey_traditional");
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  std::string blob;
  detail::put_string(blob, "ssh-rsa");
  detail::put_mpint(blob, bn_bytes(key.get(), OSSL_PKEY_PARAM_RSA_E));
  detail::put_mpint(blob, bn_bytes(key.get(), OSSL_PKEY_PARAM_RSA_N));
  return KeyPair{KeyType::Rsa, std::string(data, static_cast<size_t>(len)),
                 "ssh-rsa " + base64_encode(blob) + (comment.empty() ? "" : " " + comment)};
}

}  // namespace

KeyType preferred_key_type() {
  static const KeyType type = [] {
    libssh2_init(0);
    LIBSSH2_SESSION* session = libssh2_session_init();
    if (!session) return KeyType::Rsa;
    const char** algs = nullptr;
    int n = libssh2_session_supported_algs(session, LIBSSH2_METHOD_HOSTKEY, &algs);
    KeyType found = KeyType::Rsa;
    for (int i = 0; i < n; ++i)
      if (std::string_view(algs[i]) == "ssh-ed25519") found = KeyType::Ed25519;
    if (n > 0) libssh2_free(session, algs);
    libssh2_session_free(session);
    return found;
  }();
  return type;
}

KeyPair generate_key_pair(KeyType type, const std::string& comment) {
  return type == KeyType::Ed25519 ? ed25519_pair(comment) : rsa_pair(comment);
}

void write_key_pair(const KeyPair& pair, const std::filesystem::path& private_path) {
  if (std::filesystem::exists(private_path))
    fail(Code::AlreadyExists, fmt::format("ssh key {} already exists", private_path.string()));
  auto pub = private_path;
  pub += ".pub";
  fs::write_file_atomic(pub, pair.public_key + "\n", 0644);
  fs::write_file_atomic(private_path, pair.private_key, 0600);
}

std::string create_machine_key(const std::filesystem::path& private_path, const std::string& comment) {
  KeyPair pair = generate_key_pair(preferred_key_type(), comment);
  write_key_pair(pair, private_path);
  return pair.public_key;
}

std::string read_public_key(const std::filesystem::path& private_path) {
  auto pub = private_path;
  pub += ".pub";
  std::string text = fs::read_file(pub);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace machine::ssh
