#include "tests/certs/cert_inspect.h"

#include <arpa/inet.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdio>
#include <memory>
#include <stdexcept>

namespace machine::certs::testing {
namespace {

X509* read_cert(const std::filesystem::path& p) {
  FILE* f = std::fopen(p.c_str(), "r");
  if (!f) throw std::runtime_error("cannot open " + p.string());
  X509* x = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (!x) throw std::runtime_error("cannot parse " + p.string());
  return x;
}

std::string org_of(const X509_NAME* name) {
  int i = X509_NAME_get_index_by_NID(name, NID_organizationName, -1);
  if (i < 0) return "";
  const ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), ASN1_STRING_length(s));
}

std::time_t time_of(const ASN1_TIME* t) {
  std::tm tm{};
  ASN1_TIME_to_tm(t, &tm);
  return timegm(&tm);
}

}  // namespace

Inspected inspect(const std::filesystem::path& cert_path) {
  std::unique_ptr<X509, decltype(&X509_free)> x(read_cert(cert_path), X509_free);
  Inspected r;
  r.subject_org = org_of(X509_get_subject_name(x.get()));
  r.issuer_org = org_of(X509_get_issuer_name(x.get()));
  int crit = -1;
  auto* bc =
      static_cast<BASIC_CONSTRAINTS*>(X509_get_ext_d2i(x.get(), NID_basic_constraints, &crit, nullptr));
  if (bc) {
    r.is_ca = bc->ca != 0;
    r.basic_constraints_critical = crit == 1;
    BASIC_CONSTRAINTS_free(bc);
  }
  r.key_usage = X509_get_key_usage(x.get());
  r.ext_key_usage = X509_get_extended_key_usage(x.get());
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x.get(), NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(names, i);
    if (g->type == GEN_DNS) {
      r.dns_sans.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(g->d.dNSName)),
                              ASN1_STRING_length(g->d.dNSName));
    } else if (g->type == GEN_IPADD) {
      char buf[INET6_ADDRSTRLEN];
      int len = ASN1_STRING_length(g->d.iPAddress);
      inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(g->d.iPAddress), buf, sizeof buf);
      r.ip_sans.emplace_back(buf);
    }
  }
  GENERAL_NAMES_free(names);
  BIGNUM* serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x.get()), nullptr);
  r.serial_bits = BN_num_bits(serial);
  r.serial_negative = BN_is_negative(serial);
  BN_free(serial);
  r.not_before = time_of(X509_get0_notBefore(x.get()));
  r.not_after = time_of(X509_get0_notAfter(x.get()));
  EVP_PKEY* pub = X509_get0_pubkey(x.get());
  if (EVP_PKEY_is_a(pub, "EC")) {
    char group[64] = {0};
    size_t len = 0;
    EVP_PKEY_get_utf8_string_param(pub, "group", group, sizeof group, &len);
    r.key_type = std::string("EC ") + (std::string(group) == "prime256v1" ? "P-256" : group);
  } else {
    r.key_type = std::string(EVP_PKEY_get0_type_name(pub)) + " " + std::to_string(EVP_PKEY_get_bits(pub));
  }
  r.has_skid = X509_get0_subject_key_id(x.get()) != nullptr;
  r.has_akid = X509_get0_authority_key_id(x.get()) != nullptr;
  return r;
}

int verify_strict(const std::filesystem::path& cert_path, const std::filesystem::path& ca_path, int purpose,
                  std::chrono::system_clock::time_point at) {
  std::unique_ptr<X509, decltype(&X509_free)> cert(read_cert(cert_path), X509_free);
  std::unique_ptr<X509, decltype(&X509_free)> ca(read_cert(ca_path), X509_free);
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), X509_STORE_free);
  X509_STORE_add_cert(store.get(), ca.get());
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx(X509_STORE_CTX_new(),
                                                                      X509_STORE_CTX_free);
  X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), nullptr);
  X509_STORE_CTX_set_time(ctx.get(), 0, std::chrono::system_clock::to_time_t(at));
  X509_STORE_CTX_set_purpose(ctx.get(), purpose);
  X509_STORE_CTX_set_flags(ctx.get(), X509_V_FLAG_X509_STRICT);
  int ok = X509_verify_cert(ctx.get());
  int err = ok == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx.get());
  ERR_clear_error();
  return err;
}

bool key_matches(const std::filesystem::path& cert_path, const std::filesystem::path& key_path) {
  std::unique_ptr<X509, decltype(&X509_free)> cert(read_cert(cert_path), X509_free);
  FILE* f = std::fopen(key_path.c_str(), "r");
  if (!f) return false;
  EVP_PKEY* key = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  bool ok = key && X509_check_private_key(cert.get(), key) == 1;
  EVP_PKEY_free(key);
  ERR_clear_error();
  return ok;
}

unsigned mode_of(const std::filesystem::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) throw std::runtime_error("cannot stat " + p.string());
  return st.st_mode & 07777;
}

}  // namespace machine::certs::testing
