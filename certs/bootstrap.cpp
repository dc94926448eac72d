// CA + client certificate lifecycle (bootstrap, expiry re-issue, regenerate) and the
// per-machine server certificate.
#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "certs/certs.h"
#include "certs/x509.h"
#include "machine/fs.h"

namespace machine::certs {
namespace {
using namespace detail;
namespace stdfs = std::filesystem;

constexpr unsigned kKeyMode = 0600;
constexpr unsigned kCertMode = 0644;

// Two `machine create` runs on a fresh store must not both create a CA. Best effort: a
// directory we cannot write to (a read-only user-supplied CA) simply goes unlocked.
class DirLock {
 public:
  explicit DirLock(const stdfs::path& dir) {
    fd_ = ::open((dir / ".certs.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  ~DirLock() {
    if (fd_ >= 0) ::close(fd_);  // closing releases the flock
  }
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

 private:
  int fd_ = -1;
};

void ensure_parent(const stdfs::path& file) {
  auto dir = file.parent_path();
  // Only directories we create get 0700; a user's existing directory is left as it is.
  if (!dir.empty() && !stdfs::exists(dir)) machine::fs::ensure_private_dir(dir);
}

void say(const Options& opts, BootstrapResult& result, std::string line) {
  if (opts.notify) opts.notify(line);
  result.messages.push_back(std::move(line));
}

std::time_t not_after_of(X509* cert) {
  std::tm tm{};
  if (!ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm)) fail_ssl(Code::InvalidArgument, "bad notAfter");
  return timegm(&tm);
}

CertSpec spec_for(Role role, std::string org, const Options& opts) {
  CertSpec spec;
  spec.role = role;
  spec.organisation = std::move(org);
  // Five minutes back so a guest whose clock lags slightly still accepts the cert.
  spec.not_before = to_time_t(now_of(opts) - std::chrono::minutes(5));
  spec.not_after = spec.not_before + std::chrono::duration_cast<std::chrono::seconds>(opts.validity).count();
  return spec;
}

// Key first, then certificate: a crash in between leaves a mismatched pair, which the
// checks detect (key_path argument), rather than a certificate whose key is gone.
void write_pair(const stdfs::path& cert_path, const stdfs::path& key_path, X509* cert, EVP_PKEY* key) {
  ensure_parent(key_path);
  ensure_parent(cert_path);
  machine::fs::write_file_atomic(key_path, key_to_pem(key), kKeyMode);
  machine::fs::write_file_atomic(cert_path, cert_to_pem(cert), kCertMode);
}

void create_ca(const AuthPaths& paths, const Options& opts) {
  KeyPtr key = generate_key(opts.key_type);
  CertPtr cert = make_cert(spec_for(Role::Ca, organisation_base(opts), opts), key.get(), nullptr, key.get());
  write_pair(paths.ca_cert, paths.ca_key, cert.get(), key.get());
}

struct Ca {
  CertPtr cert;
  KeyPtr key;
};

Ca load_ca(const AuthPaths& paths, const std::string& purpose) {
  if (!stdfs::exists(paths.ca_cert))
    fail(Code::NotFound,
         fmt::format("CA certificate {} not found: cannot {}", paths.ca_cert.string(), purpose));
  if (!stdfs::exists(paths.ca_key))
    fail(Code::NotFound, fmt::format("CA key {} not found: cannot {}", paths.ca_key.string(), purpose));
  Ca ca{load_cert(paths.ca_cert, "CA certificate"), load_key(paths.ca_key, "CA key")};
  if (X509_check_private_key(ca.cert.get(), ca.key.get()) != 1) {
    ERR_clear_error();
    fail(Code::InvalidArgument, fmt::format("CA key {} does not match CA certificate {}",
                                            paths.ca_key.string(), paths.ca_cert.string()));
  }
  return ca;
}

void create_client(const AuthPaths& paths, const Options& opts) {
  Ca ca = load_ca(paths, "sign the client certificate");
  KeyPtr key = generate_key(opts.key_type);
  CertPtr cert = make_cert(spec_for(Role::Client, organisation_base(opts), opts), key.get(), ca.cert.get(),
                           ca.key.get());
  write_pair(paths.client_cert, paths.client_key, cert.get(), key.get());
}

// Returns true when a new CA must be created.
bool ca_needs_creation(const AuthPaths& paths, const Options& opts, BootstrapResult& result) {
  const bool have_cert = stdfs::exists(paths.ca_cert);
  const bool have_key = stdfs::exists(paths.ca_key);
  if (!have_cert && have_key)
    fail(Code::AlreadyExists, fmt::format("CA key {} already exists without its certificate {}: remove it or "
                                          "specify a different key/cert",
                                          paths.ca_key.string(), paths.ca_cert.string()));
  if (!have_cert) return true;

  CertPtr cert = load_cert(paths.ca_cert, "CA certificate");
  if (X509_check_ca(cert.get()) == 0)
    fail(Code::InvalidArgument, fmt::format("{} is not a CA certificate", paths.ca_cert.string()));
  if (have_key) {
    KeyPtr key = load_key(paths.ca_key, "CA key");
    if (X509_check_private_key(cert.get(), key.get()) != 1) {
      ERR_clear_error();
      fail(Code::InvalidArgument, fmt::format("CA key {} does not match CA certificate {}",
                                              paths.ca_key.string(), paths.ca_cert.string()));
    }
  }
  std::time_t expiry = not_after_of(cert.get());
  if (expiry > to_time_t(now_of(opts))) return false;
  std::string what =
      fmt::format("CA certificate {} expired on {}", paths.ca_cert.string(), format_time(expiry));
  if (!opts.replace_ca) fail(Code::FailedPrecondition, what + "; replace it or regenerate it");
  say(opts, result,
      what + ", re-issuing it and the client certificate (run regenerate-certs on existing machines)");
  return true;
}

bool client_needs_creation(const AuthPaths& paths, const Options& opts, BootstrapResult& result) {
  const bool have_cert = stdfs::exists(paths.client_cert);
  const bool have_key = stdfs::exists(paths.client_key);
  if (!have_cert && have_key)
    fail(Code::AlreadyExists,
         fmt::format("client key {} already exists without its certificate {}: remove it "
                     "or specify a different key/cert",
                     paths.client_key.string(), paths.client_cert.string()));
  if (!have_cert) return true;
  if (!have_key)
    fail(Code::InvalidArgument, fmt::format("client key {} is missing: remove {} to create a new pair",
                                            paths.client_key.string(), paths.client_cert.string()));

  CertCheck check = check_client_cert(paths.client_cert, paths.ca_cert, now_of(opts), paths.client_key);
  if (check.ok()) return false;
  if (check.problem == CertCheck::Problem::Unreadable) fail(Code::InvalidArgument, check.reason);
  if (!opts.replace_client) fail(Code::FailedPrecondition, check.reason);
  say(opts, result, check.reason + ", re-issuing it");
  return true;
}

}  // namespace

AuthPaths AuthPaths::in_store(const std::filesystem::path& store_root) {
  auto dir = store_root / "certs";
  return AuthPaths{dir / "ca.pem", dir / "ca-key.pem", dir / "cert.pem", dir / "key.pem"};
}

BootstrapResult bootstrap(const AuthPaths& paths, const Options& opts) {
  BootstrapResult result;
  return with_context("cannot set up TLS certificates", [&] {
    ensure_parent(paths.client_cert);
    DirLock lock(paths.client_cert.parent_path().empty() ? "." : paths.client_cert.parent_path());
    if (ca_needs_creation(paths, opts, result)) {
      if (stdfs::exists(paths.client_cert) && !opts.replace_client)
        fail(Code::FailedPrecondition, fmt::format("client certificate {} would not be signed by a new CA",
                                                   paths.client_cert.string()));
      say(opts, result, "Creating CA: " + paths.ca_cert.string());
      create_ca(paths, opts);
      result.ca_created = true;
    }
    if (result.ca_created || client_needs_creation(paths, opts, result)) {
      say(opts, result, "Creating client certificate: " + paths.client_cert.string());
      create_client(paths, opts);
      result.client_created = true;
    }
    return result;
  });
}

BootstrapResult regenerate_ca_and_client(const AuthPaths& paths, const Options& opts) {
  BootstrapResult result;
  return with_context("cannot regenerate TLS certificates", [&] {
    if (!opts.replace_ca || !opts.replace_client)
      fail(Code::FailedPrecondition, "refusing to replace a user-supplied CA or client certificate");
    ensure_parent(paths.client_cert);
    DirLock lock(paths.client_cert.parent_path().empty() ? "." : paths.client_cert.parent_path());
    say(opts, result, "Creating CA: " + paths.ca_cert.string());
    create_ca(paths, opts);
    result.ca_created = true;
    say(opts, result, "Creating client certificate: " + paths.client_cert.string());
    create_client(paths, opts);
    result.client_created = true;
    return result;
  });
}

std::vector<std::string> server_sans(const std::vector<std::string>& hosts) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  auto add = [&](const std::string& h) {
    std::string v = h, bare;
    if (parse_ip(v, &bare)) v = bare;
    if (v.empty() || v.find_first_of(" \t\n,") != std::string::npos) return;
    std::string key = v;
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
    if (seen.insert(key).second) out.push_back(v);
  };
  for (const auto& h : hosts) add(h);
  for (const char* h : {"127.0.0.1", "::1", "localhost"}) add(h);
  return out;
}

void issue_server_cert(const AuthPaths& auth, const ServerCertSpec& spec, const Options& opts) {
  with_context(fmt::format("cannot issue server certificate for '{}'", spec.machine_name), [&] {
    // SANs are IA5 strings: printable ASCII only (Go rejects anything else).
    for (const auto& h : spec.hosts)
      if (std::any_of(h.begin(), h.end(), [](unsigned char c) { return c <= ' ' || c >= 0x7f || c == ','; }))
        fail(Code::InvalidArgument, fmt::format("invalid host name '{}'", h));
    Ca ca = load_ca(auth, "sign the server certificate");
    CertSpec cert_spec = spec_for(Role::Server, organisation_base(opts) + "." + spec.machine_name, opts);
    cert_spec.sans = server_sans(spec.hosts);
    KeyPtr key = generate_key(opts.key_type);
    CertPtr cert = make_cert(cert_spec, key.get(), ca.cert.get(), ca.key.get());
    write_pair(spec.cert_path, spec.key_path, cert.get(), key.get());
  });
}

std::string ensure_server_cert(const AuthPaths& auth, const ServerCertSpec& spec, const Options& opts) {
  const auto now = now_of(opts);
  std::string reason;
  if (!stdfs::exists(spec.cert_path)) {
    reason = "server certificate " + spec.cert_path.string() + " does not exist";
  } else {
    CertCheck check = check_server_cert(spec.cert_path, auth.ca_cert, "", now, spec.key_path);
    for (size_t i = 0; check.ok() && i < spec.hosts.size(); ++i)
      check = check_server_cert(spec.cert_path, auth.ca_cert, spec.hosts[i], now);
    reason = check.reason;
    // Renewing a month early keeps a machine that is rarely started from meeting an
    // expired cert. Only the server cert's own date counts: a CA near its end is
    // bootstrap's business, and re-issuing under it would change nothing.
    if (check.ok()) {
      std::time_t expiry = not_after_of(load_cert(spec.cert_path, "server certificate").get());
      if (expiry < to_time_t(now + std::chrono::days(30)))
        reason =
            fmt::format("server certificate {} expires on {}", spec.cert_path.string(), format_time(expiry));
    }
  }
  if (reason.empty()) return reason;
  if (opts.notify) opts.notify(reason + ", issuing a new one");
  issue_server_cert(auth, spec, opts);
  return reason;
}

void copy_client_files(const AuthPaths& auth, const std::filesystem::path& machine_dir) {
  with_context("cannot copy certificates into " + machine_dir.string(), [&] {
    if (!stdfs::exists(machine_dir)) machine::fs::ensure_private_dir(machine_dir);
    auto copy = [&](const stdfs::path& from, const char* name, unsigned mode) {
      auto to = machine_dir / name;
      std::error_code ec;
      if (stdfs::equivalent(from, to, ec)) return;
      machine::fs::copy_file_atomic(from, to, mode);
    };
    copy(auth.ca_cert, "ca.pem", kCertMode);
    copy(auth.client_cert, "cert.pem", kCertMode);
    copy(auth.client_key, "key.pem", kKeyMode);
  });
}

}  // namespace machine::certs
