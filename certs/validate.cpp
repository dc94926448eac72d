// Certificate checks: chain via X509_verify_cert at an injected time, role (EKU), host
// coverage. Used to decide when to re-issue (expiry, CA change, machine address change).
#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "certs/certs.h"
#include "certs/x509.h"
#include "machine/fs.h"

namespace machine::certs {
namespace {
using namespace detail;

struct StoreFree {
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
};
struct CtxFree {
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};

CertCheck problem(CertCheck::Problem p, std::string reason) { return CertCheck{p, std::move(reason)}; }

// Every certificate in the CA file becomes a trust anchor (ca.pem may be a bundle).
std::unique_ptr<X509_STORE, StoreFree> load_trust(const std::filesystem::path& ca_path) {
  std::string pem = machine::fs::read_file(ca_path);
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  std::unique_ptr<X509_STORE, StoreFree> store(X509_STORE_new());
  int count = 0;
  while (X509* ca = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    X509_STORE_add_cert(store.get(), ca);
    X509_free(ca);
    ++count;
  }
  ERR_clear_error();  // the loop ends with a "no start line" error
  if (count == 0) fail(Code::InvalidArgument, "no certificate in CA file " + ca_path.string());
  return store;
}

CertCheck check(const std::filesystem::path& cert_path, const std::filesystem::path& ca_path,
                const std::string& host, std::chrono::system_clock::time_point now,
                const std::filesystem::path& key_path, bool server) {
  const char* role = server ? "server certificate" : "client certificate";
  CertPtr cert;
  std::unique_ptr<X509_STORE, StoreFree> store;
  try {
    cert = load_cert(cert_path, role);
    store = load_trust(ca_path);
    if (!key_path.empty()) {
      KeyPtr key = load_key(key_path, "key");
      if (X509_check_private_key(cert.get(), key.get()) != 1) {
        ERR_clear_error();
        return problem(CertCheck::Problem::Unreadable, fmt::format("{} {} does not match key {}", role,
                                                                   cert_path.string(), key_path.string()));
      }
    }
  } catch (const Error& e) {
    return problem(CertCheck::Problem::Unreadable, e.what());
  }

  std::unique_ptr<X509_STORE_CTX, CtxFree> ctx(X509_STORE_CTX_new());
  if (!ctx || !X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), nullptr))
    fail_ssl(Code::Internal, "cannot set up certificate verification");
  X509_STORE_CTX_set_time(ctx.get(), 0, to_time_t(now));
  X509_STORE_CTX_set_purpose(ctx.get(), server ? X509_PURPOSE_SSL_SERVER : X509_PURPOSE_SSL_CLIENT);
  if (X509_verify_cert(ctx.get()) != 1) {
    int err = X509_STORE_CTX_get_error(ctx.get());
    int depth = X509_STORE_CTX_get_error_depth(ctx.get());
    ERR_clear_error();
    std::string who = depth == 0 ? std::string(role) : "CA certificate";
    X509* bad = X509_STORE_CTX_get_current_cert(ctx.get());
    switch (err) {
      case X509_V_ERR_CERT_HAS_EXPIRED: {
        std::string when;
        if (bad) {
          std::tm tm{};
          if (ASN1_TIME_to_tm(X509_get0_notAfter(bad), &tm)) when = " on " + format_time(timegm(&tm));
        }
        return problem(
            CertCheck::Problem::Expired,
            fmt::format("{} {} expired{}", who, depth == 0 ? cert_path.string() : ca_path.string(), when));
      }
      case X509_V_ERR_CERT_NOT_YET_VALID:
        return problem(
            CertCheck::Problem::NotYetValid,
            fmt::format("{} {} is not valid yet", who, depth == 0 ? cert_path.string() : ca_path.string()));
      case X509_V_ERR_INVALID_PURPOSE:
        return problem(CertCheck::Problem::WrongUsage,
                       fmt::format("{} {} is not allowed for {} authentication", role, cert_path.string(),
                                   server ? "server" : "client"));
      default:
        return problem(CertCheck::Problem::NotTrusted,
                       fmt::format("{} {} is not signed by CA {}: {}", role, cert_path.string(),
                                   ca_path.string(), X509_verify_cert_error_string(err)));
    }
  }

  if (!host.empty()) {
    std::string ip;
    bool covered = parse_ip(host, &ip) ? X509_check_ip_asc(cert.get(), ip.c_str(), 0) == 1
                                       : X509_check_host(cert.get(), host.data(), host.size(),
                                                         X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, nullptr) == 1;
    ERR_clear_error();
    if (!covered)
      return problem(CertCheck::Problem::HostNotCovered,
                     fmt::format("{} {} does not cover {}", role, cert_path.string(), host));
  }
  return {};
}

}  // namespace

CertCheck check_server_cert(const std::filesystem::path& cert_path, const std::filesystem::path& ca_path,
                            const std::string& host, std::chrono::system_clock::time_point now,
                            const std::filesystem::path& key_path) {
  return check(cert_path, ca_path, host, now, key_path, true);
}

CertCheck check_client_cert(const std::filesystem::path& cert_path, const std::filesystem::path& ca_path,
                            std::chrono::system_clock::time_point now,
                            const std::filesystem::path& key_path) {
  return check(cert_path, ca_path, "", now, key_path, false);
}

}  // namespace machine::certs
