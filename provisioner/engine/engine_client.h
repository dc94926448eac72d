#pragma once
// A minimal HTTPS client for the Docker engine API with mutual TLS: the readiness check
// (GET /_ping) and `machine version` / the ls DOCKER column (GET /version). Always verifies
// the server certificate against the CA and the URL's host.
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace machine::engine {

struct TlsFiles {
  std::filesystem::path ca_cert;
  std::filesystem::path client_cert;
  std::filesystem::path client_key;
  // All three from a DOCKER_CERT_PATH-style directory (ca.pem, cert.pem, key.pem).
  static TlsFiles in_dir(const std::filesystem::path& dir);
};

struct HttpResponse {
  int status = 0;
  std::string body;
};

// GET `path` from the engine at `url` (tcp://host:port). Throws Error(Unavailable) when
// the engine cannot be reached or the TLS handshake fails (message says which, e.g.
// "x509: certificate is valid for 127.0.0.1, not 10.0.2.15"-like text from OpenSSL).
HttpResponse get(const std::string& url, const std::string& path, const TlsFiles& tls,
                 std::chrono::milliseconds timeout);

// A long-lived GET whose body arrives line by line (GET /events: one JSON object a line).
class LineStream {
 public:
  // Connects, sends the request and reads the header; throws Error(Unavailable) as get()
  // does, and when the engine answers anything but 200.
  LineStream(const std::string& url, const std::string& path, const TlsFiles& tls,
             std::chrono::milliseconds connect_timeout);
  ~LineStream();
  LineStream(const LineStream&) = delete;
  LineStream& operator=(const LineStream&) = delete;

  // The next line of the body (without its newline), waiting at most `timeout`; nullopt
  // when none arrived in time. Throws Error(Unavailable) once the connection has ended.
  std::optional<std::string> next_line(std::chrono::milliseconds timeout);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// True when GET /_ping answers 200 "OK".
bool ping(const std::string& url, const TlsFiles& tls, std::chrono::milliseconds timeout);

// Polls ping() until it answers or `timeout` passes; throws Error(Unavailable) with the last
// error on timeout. Honours cancellation.
void wait_for_engine(const std::string& url, const TlsFiles& tls, std::chrono::milliseconds timeout);

// The engine's version string from GET /version.
std::string version(const std::string& url, const TlsFiles& tls, std::chrono::milliseconds timeout);

}  // namespace machine::engine
