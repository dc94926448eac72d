#pragma once
// Test-only: reads certificates back with OpenSSL directly (not through machine_certs), so
// tests check what is on disk, independently of the code that wrote it; and the tests' clock.
#include <chrono>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "certs/certs.h"

namespace machine::certs::testing {

struct Inspected {
  std::string subject_org;
  std::string issuer_org;
  bool is_ca = false;  // basicConstraints CA:TRUE
  bool basic_constraints_critical = false;
  uint32_t key_usage = 0;            // KU_* bits from openssl/x509v3.h (UINT32_MAX when absent)
  uint32_t ext_key_usage = 0;        // XKU_* bits
  std::vector<std::string> ip_sans;  // textual, e.g. "127.0.0.1", "::1"
  std::vector<std::string> dns_sans;
  int serial_bits = 0;
  bool serial_negative = false;
  std::time_t not_before = 0;
  std::time_t not_after = 0;
  std::string key_type;  // "EC P-256", "RSA 2048", ...
  bool has_skid = false;
  bool has_akid = false;
};

Inspected inspect(const std::filesystem::path& cert_path);

// X509_verify_cert of cert against ca (trust anchor) at time `at` with the given purpose
// (X509_PURPOSE_SSL_SERVER / _CLIENT) and X509_V_FLAG_X509_STRICT. Returns the verify error
// (X509_V_OK = 0 on success).
int verify_strict(const std::filesystem::path& cert_path, const std::filesystem::path& ca_path, int purpose,
                  std::chrono::system_clock::time_point at);

// Whether the private key in key_path matches the certificate.
bool key_matches(const std::filesystem::path& cert_path, const std::filesystem::path& key_path);

unsigned mode_of(const std::filesystem::path& p);  // permission bits only

// The certificate tests' clock: a fixed "now", and Options (user alice) whose clock says `t`.
inline const std::chrono::system_clock::time_point kT0 =
    std::chrono::sys_days{std::chrono::year{2026} / 1 / 15} + std::chrono::hours{10};
inline Options at(std::chrono::system_clock::time_point t) {
  Options o;
  o.user = "alice";
  o.now = [t] { return t; };
  return o;
}

}  // namespace machine::certs::testing
