#pragma once
// Internal: thin RAII layer over OpenSSL 3 (EVP and X509 APIs only) shared by the certs
// sources. Not part of the public interface; include certs/certs.h instead.
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <ctime>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "certs/certs.h"
#include "machine/error.h"

namespace machine::certs::detail {

struct KeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct CertFree {
  void operator()(X509* p) const { X509_free(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;
using CertPtr = std::unique_ptr<X509, CertFree>;

// Throws Error(code, "<what>: <last OpenSSL error>") and clears OpenSSL's error queue.
[[noreturn]] void fail_ssl(Code code, const std::string& what);
// The last queued OpenSSL error as text (queue cleared); "unknown error" when empty.
std::string ssl_error();

KeyPtr generate_key(KeyType type);
std::string key_to_pem(EVP_PKEY* key);  // PKCS#8, unencrypted
std::string cert_to_pem(X509* cert);

// Load PEM files. Missing file: Error(NotFound); bad content or an encrypted key:
// Error(InvalidArgument). `what` names the file in messages ("CA certificate").
CertPtr load_cert(const std::filesystem::path& path, const std::string& what);
KeyPtr load_key(const std::filesystem::path& path, const std::string& what);

enum class Role { Ca, Client, Server };

struct CertSpec {
  Role role = Role::Client;
  std::string organisation;
  std::vector<std::string> sans;  // Server only; already normalised by server_sans()
  std::time_t not_before = 0;
  std::time_t not_after = 0;
};

// Builds and signs a certificate for `subject_key`. issuer == nullptr means self-signed
// (the CA), in which case issuer_key must be subject_key.
CertPtr make_cert(const CertSpec& spec, EVP_PKEY* subject_key, X509* issuer, EVP_PKEY* issuer_key);

// Whether `s` is an IP literal (v4, v6 or "[v6]"); on success `bare` holds it without brackets.
bool parse_ip(const std::string& s, std::string* bare);

std::time_t to_time_t(std::chrono::system_clock::time_point t);
// "2029-11-07 10:55:00 UTC" for messages.
std::string format_time(std::time_t t);
std::chrono::system_clock::time_point now_of(const Options& opts);
std::string organisation_base(const Options& opts);

}  // namespace machine::certs::detail
