#include "certs/x509.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

#include "machine/fs.h"

namespace machine::certs::detail {
namespace {

struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
struct NamesFree {
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

std::string bio_to_string(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

BioPtr read_bio(const std::filesystem::path& path) {
  std::string pem = machine::fs::read_file(path);
  // BIO_new_mem_buf does not copy; keep the text alive by copying into a writable BIO.
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || BIO_write(bio.get(), pem.data(), static_cast<int>(pem.size())) != static_cast<int>(pem.size()))
    fail_ssl(Code::Internal, "cannot buffer " + path.string());
  return bio;
}

// Never prompt on the terminal for a passphrase; remember that one was asked for.
int no_passphrase(char*, int, int, void* asked) {
  *static_cast<bool*>(asked) = true;
  return -1;
}

void add_ext(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, ctx, nid, value);
  if (!ext) fail_ssl(Code::Internal, fmt::format("cannot build extension {}={}", OBJ_nid2sn(nid), value));
  int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (!ok) fail_ssl(Code::Internal, "cannot add extension");
}

void add_sans(X509* cert, const std::vector<std::string>& sans) {
  std::unique_ptr<GENERAL_NAMES, NamesFree> names(sk_GENERAL_NAME_new_null());
  for (const auto& san : sans) {
    GENERAL_NAME* gen = GENERAL_NAME_new();
    std::string ip;
    if (parse_ip(san, &ip)) {
      ASN1_OCTET_STRING* oct = a2i_IPADDRESS(ip.c_str());
      if (!oct) {
        GENERAL_NAME_free(gen);
        fail_ssl(Code::InvalidArgument, "invalid IP address " + san);
      }
      GENERAL_NAME_set0_value(gen, GEN_IPADD, oct);
    } else {
      ASN1_IA5STRING* dns = ASN1_IA5STRING_new();
      ASN1_STRING_set(dns, san.data(), static_cast<int>(san.size()));
      GENERAL_NAME_set0_value(gen, GEN_DNS, dns);
    }
    sk_GENERAL_NAME_push(names.get(), gen);
  }
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1)
    fail_ssl(Code::Internal, "cannot add subjectAltName");
}

void set_random_serial(X509* cert) {
  // 128 random bits, as docker-machine does (positive: BIGNUM is a magnitude).
  unsigned char buf[16];
  if (RAND_bytes(buf, sizeof buf) != 1) fail_ssl(Code::Internal, "cannot draw a random serial");
  std::unique_ptr<BIGNUM, BnFree> bn(BN_bin2bn(buf, sizeof buf, nullptr));
  if (bn && BN_is_zero(bn.get())) BN_one(bn.get());
  if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)))
    fail_ssl(Code::Internal, "cannot set serial");
}

}  // namespace

std::string ssl_error() {
  unsigned long last = 0;
  while (unsigned long e = ERR_get_error()) last = e;
  if (last == 0) return "unknown error";
  char buf[256];
  ERR_error_string_n(last, buf, sizeof buf);
  return buf;
}

void fail_ssl(Code code, const std::string& what) { fail(code, what + ": " + ssl_error()); }

KeyPtr generate_key(KeyType type) {
  EVP_PKEY* key = type == KeyType::EcdsaP256 ? EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")
                                             : EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048});
  if (!key) fail_ssl(Code::Internal, "cannot generate key");
  return KeyPtr(key);
}

std::string key_to_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || !PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr))
    fail_ssl(Code::Internal, "cannot encode key");
  return bio_to_string(bio.get());
}

std::string cert_to_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || !PEM_write_bio_X509(bio.get(), cert)) fail_ssl(Code::Internal, "cannot encode certificate");
  return bio_to_string(bio.get());
}

CertPtr load_cert(const std::filesystem::path& path, const std::string& what) {
  auto bio = read_bio(path);
  CertPtr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) fail_ssl(Code::InvalidArgument, fmt::format("cannot read {} {}", what, path.string()));
  return cert;
}

KeyPtr load_key(const std::filesystem::path& path, const std::string& what) {
  auto bio = read_bio(path);
  bool asked = false;
  KeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, &asked));
  if (!key && asked) {
    ERR_clear_error();
    fail(Code::InvalidArgument,
         fmt::format("cannot read {} {}: encrypted keys are not supported", what, path.string()));
  }
  if (!key) fail_ssl(Code::InvalidArgument, fmt::format("cannot read {} {}", what, path.string()));
  return key;
}

CertPtr make_cert(const CertSpec& spec, EVP_PKEY* subject_key, X509* issuer, EVP_PKEY* issuer_key) {
  CertPtr cert(X509_new());
  if (!cert || !X509_set_version(cert.get(), X509_VERSION_3))
    fail_ssl(Code::Internal, "cannot create certificate");
  set_random_serial(cert.get());
  if (!ASN1_TIME_set(X509_getm_notBefore(cert.get()), spec.not_before) ||
      !ASN1_TIME_set(X509_getm_notAfter(cert.get()), spec.not_after))
    fail_ssl(Code::Internal, "cannot set validity");

  X509_NAME* subject = X509_get_subject_name(cert.get());
  const auto* org = reinterpret_cast<const unsigned char*>(spec.organisation.c_str());
  if (!X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_UTF8, org, -1, -1, 0))
    fail_ssl(Code::Internal, "cannot set subject");
  if (!X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : subject) ||
      !X509_set_pubkey(cert.get(), subject_key))
    fail_ssl(Code::Internal, "cannot set issuer or public key");

  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
  const bool rsa = EVP_PKEY_is_a(subject_key, "RSA");
  switch (spec.role) {
    case Role::Ca:
      add_ext(cert.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE");
      add_ext(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature,keyCertSign,cRLSign");
      break;
    case Role::Client:
      add_ext(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE");
      add_ext(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature");
      add_ext(cert.get(), &ctx, NID_ext_key_usage, "clientAuth");
      break;
    case Role::Server:
      add_ext(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE");
      // keyEncipherment only matters for RSA key exchange (TLS 1.2 TLS_RSA_* suites).
      add_ext(cert.get(), &ctx, NID_key_usage,
              rsa ? "critical,digitalSignature,keyEncipherment" : "critical,digitalSignature");
      add_ext(cert.get(), &ctx, NID_ext_key_usage, "serverAuth");
      add_sans(cert.get(), spec.sans);
      break;
  }
  // Key identifiers let verifiers tell a leaf whose subject equals the CA's subject
  // (docker-machine uses O=$USER for both) from a self-signed certificate.
  add_ext(cert.get(), &ctx, NID_subject_key_identifier, "hash");
  add_ext(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always");

  // Ed25519/Ed448 CA keys (bring-your-own) sign without a separate digest.
  const EVP_MD* md =
      EVP_PKEY_is_a(issuer_key, "ED25519") || EVP_PKEY_is_a(issuer_key, "ED448") ? nullptr : EVP_sha256();
  if (X509_sign(cert.get(), issuer_key, md) <= 0) fail_ssl(Code::Internal, "cannot sign certificate");
  return cert;
}

bool parse_ip(const std::string& s, std::string* bare) {
  std::string v = s;
  if (v.size() > 2 && v.front() == '[' && v.back() == ']') v = v.substr(1, v.size() - 2);
  unsigned char buf[16];
  if (inet_pton(AF_INET, v.c_str(), buf) == 1 || inet_pton(AF_INET6, v.c_str(), buf) == 1) {
    if (bare) *bare = v;
    return true;
  }
  return false;
}

std::time_t to_time_t(std::chrono::system_clock::time_point t) {
  return std::chrono::system_clock::to_time_t(t);
}

std::string format_time(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

std::chrono::system_clock::time_point now_of(const Options& opts) {
  return opts.now ? opts.now() : std::chrono::system_clock::now();
}

std::string organisation_base(const Options& opts) {
  if (!opts.user.empty()) return opts.user;
  if (const char* u = std::getenv("USER"); u && *u) return u;
  struct passwd pw {};
  struct passwd* found = nullptr;
  char buf[4096];
  if (getpwuid_r(getuid(), &pw, buf, sizeof buf, &found) == 0 && found && found->pw_name)
    return found->pw_name;
  return "unknown";
}

}  // namespace machine::certs::detail
