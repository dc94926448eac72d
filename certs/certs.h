#pragma once
// TLS material for the docker engine, docker-machine compatible:
//   <store>/certs/{ca.pem, ca-key.pem, cert.pem, key.pem}   one CA + one client cert per store
//   <machine dir>/{server.pem, server-key.pem}               one server cert per machine
//   <machine dir>/{ca.pem, cert.pem, key.pem}                copies, so the dir is DOCKER_CERT_PATH
// OpenSSL 3 underneath; no OpenSSL type leaks through this header. Keys are written 0600,
// certificates 0644, directories 0700, every file atomically (temp + fsync + rename).
// All functions throw machine::Error; none prompts (encrypted keys are rejected).
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace machine::certs {

// ECDSA P-256 is the default: ~300x faster to generate than RSA 2048 and accepted by the
// docker CLI and dockerd (Go crypto/tls); see certs/README.md for the numbers.
enum class KeyType { EcdsaP256, Rsa2048 };

// Where the CA and the client certificate live. Defaults come from in_store(); the CLI
// overrides single paths from --tls-ca-cert/--tls-ca-key/--tls-client-cert/--tls-client-key.
struct AuthPaths {
  std::filesystem::path ca_cert;
  std::filesystem::path ca_key;
  std::filesystem::path client_cert;
  std::filesystem::path client_key;

  // <store_root>/certs/ca.pem, ca-key.pem, cert.pem, key.pem
  static AuthPaths in_store(const std::filesystem::path& store_root);
};

using Clock = std::function<std::chrono::system_clock::time_point()>;
using Notify = std::function<void(const std::string& line)>;

struct Options {
  KeyType key_type = KeyType::EcdsaP256;
  // Lifetime of every issued certificate (docker-machine: 1080 days). NotBefore is set
  // 5 minutes before now() so a guest with a slightly late clock accepts it.
  std::chrono::hours validity{24 * 1080};
  // Organisation base: CA and client get O=<user>, server certs O=<user>.<machine>.
  // Empty: $USER, else the login name, else "unknown".
  std::string user;
  Clock now;      // empty: the system clock (tests inject a fixed one)
  Notify notify;  // receives progress lines such as "Creating CA: /path/ca.pem"; may be empty
  // Whether bootstrap/regenerate may replace the CA (resp. client cert) when it has expired
  // or, for the client, is not signed by the CA. Set false for user-supplied files: then
  // such a file is an Error(FailedPrecondition) instead of being overwritten.
  bool replace_ca = true;
  bool replace_client = true;
};

struct BootstrapResult {
  bool ca_created = false;            // a new CA key + cert were written
  bool client_created = false;        // a new client key + cert were written
  std::vector<std::string> messages;  // the lines also passed to Options::notify
};

// Makes sure a usable CA and client certificate exist at `paths`. Idempotent: with valid
// files it writes nothing. Creates missing ones (and their directories, 0700). An expired
// CA is re-issued together with the client cert; an expired client cert, or one not signed
// by the CA, is re-issued alone; each with a message. Never overwrites silently: a key file
// without its certificate is Error(AlreadyExists); an unreadable or mismatched pair is
// Error(InvalidArgument). Serialised across processes by a lock file next to the client cert.
BootstrapResult bootstrap(const AuthPaths& paths, const Options& opts = {});

// `regenerate-certs --client-certs`: unconditionally issues a new CA and client cert
// (server certs signed by the old CA must then be re-issued with issue_server_cert).
// Error(FailedPrecondition) when opts forbid replacing them.
BootstrapResult regenerate_ca_and_client(const AuthPaths& paths, const Options& opts = {});

struct ServerCertSpec {
  std::string machine_name;         // for O=<user>.<machine_name>
  std::vector<std::string> hosts;   // machine IPs, hostname, every --tls-san
  std::filesystem::path cert_path;  // <machine dir>/server.pem
  std::filesystem::path key_path;   // <machine dir>/server-key.pem
};

// The SAN list a server cert gets: `hosts` followed by 127.0.0.1, ::1, localhost, without
// duplicates or empty entries, order kept. IPs (v4, v6, "[v6]") become IP SANs, the rest DNS.
std::vector<std::string> server_sans(const std::vector<std::string>& hosts);

// Issues (or re-issues: the old files are replaced, by design) a server cert with
// ExtKeyUsage serverAuth signed by the CA at `auth`, with a fresh key.
// Error(NotFound) when the CA cert or key is missing.
void issue_server_cert(const AuthPaths& auth, const ServerCertSpec& spec, const Options& opts = {});

// What the provisioner calls on create, start and address change: keeps the server cert
// when it is trusted by the CA, matches its key, covers every entry of spec.hosts and stays
// valid for at least 30 more days; otherwise issues a new one (then the guest needs it
// uploaded). Returns why it was (re-)issued ("server certificate ... does not cover
// 10.0.2.16"), empty when kept. The reason is also passed to Options::notify.
std::string ensure_server_cert(const AuthPaths& auth, const ServerCertSpec& spec, const Options& opts = {});

// Copies the CA cert, client cert and client key into `machine_dir` as ca.pem, cert.pem,
// key.pem (key 0600), so the directory works as DOCKER_CERT_PATH. Idempotent.
void copy_client_files(const AuthPaths& auth, const std::filesystem::path& machine_dir);

// Result of checking one certificate. `problem` is the first one found (key, chain and
// validity as X509_verify_cert meets them, then the host); `reason` says it in words ("server certificate
// does not cover 10.0.2.15").
struct CertCheck {
  enum class Problem {
    None,
    Unreadable,      // missing file, bad PEM, encrypted or mismatched key
    NotTrusted,      // not signed by the CA (or the CA itself is broken)
    NotYetValid,     // now < NotBefore (of the cert or the CA)
    Expired,         // now > NotAfter (of the cert or the CA)
    WrongUsage,      // ExtKeyUsage does not allow the role (serverAuth / clientAuth)
    HostNotCovered,  // no SAN matches the host
  };
  Problem problem = Problem::None;
  std::string reason;
  bool ok() const { return problem == Problem::None; }
};

// Chain (X509_verify_cert against ca_path only, at time `now`), validity, serverAuth and,
// unless `host` is empty, that a SAN covers `host` (IP or DNS name; the subject CN is
// ignored, as Go does). When key_path is non-empty the key must match the certificate.
CertCheck check_server_cert(const std::filesystem::path& cert_path, const std::filesystem::path& ca_path,
                            const std::string& host, std::chrono::system_clock::time_point now,
                            const std::filesystem::path& key_path = {});

// Same for a client cert (clientAuth, no host).
CertCheck check_client_cert(const std::filesystem::path& cert_path, const std::filesystem::path& ca_path,
                            std::chrono::system_clock::time_point now,
                            const std::filesystem::path& key_path = {});

}  // namespace machine::certs
