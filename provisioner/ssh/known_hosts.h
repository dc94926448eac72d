#pragma once
// Host-key pinning. Each machine directory holds a known_hosts file in OpenSSH format, so the
// system ssh can use it too (-o UserKnownHostsFile=... -o StrictHostKeyChecking=yes). Keys come
// from the guest's serial console (`machine-hostkey: <type> <base64>` lines) before the first
// connection, or, for the generic driver, from the first connection (trust on first use).
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "machine/error.h"

namespace machine::ssh {

// A public host key: its type ("ssh-ed25519") and the raw wire-format blob.
struct HostKey {
  std::string type;
  std::string blob;

  std::string base64() const;
  // OpenSSH style "SHA256:<unpadded base64 of sha256(blob)>".
  std::string fingerprint() const;
  bool operator==(const HostKey&) const = default;
};

// One non-comment line of a known_hosts file.
struct KnownHostEntry {
  std::string marker;  // "" or "@cert-authority" / "@revoked"
  std::string hosts;   // comma-separated patterns, or a hashed "|1|salt|hash" entry
  HostKey key;
  std::string comment;
};

// A host-key problem (mismatch, or no pinned key): never retried, never ignored.
// Carries Code::FailedPrecondition.
class HostKeyError : public Error {
 public:
  explicit HostKeyError(const std::string& message) : Error(Code::FailedPrecondition, message) {}
};

enum class HostKeyPolicy {
  Pinned,           // the known_hosts file must already hold a key for the host
  TrustOnFirstUse,  // no key for the host yet: the one seen is stored (generic driver)
};

// Base64 (standard alphabet, padded) used by OpenSSH key files.
std::string base64_encode(std::string_view data);
// Throws Error(InvalidArgument) on malformed input.
std::string base64_decode(std::string_view text);

// Builds a HostKey from "<type> <base64>"; the type must match the one inside the blob.
// Throws Error(InvalidArgument) when malformed.
HostKey parse_host_key(std::string_view type, std::string_view base64);
// Builds a HostKey from a raw blob (the type is read from the blob).
HostKey host_key_from_blob(std::string_view blob);

// The name OpenSSH looks up for host:port: "host" for port 22, else "[host]:port".
std::string known_hosts_name(const std::string& host, int port);

// Parses known_hosts text; blank, comment and malformed lines are skipped (like OpenSSH).
std::vector<KnownHostEntry> parse_known_hosts(std::string_view text);
// "<hosts> <type> <base64>[ <comment>]" without a newline.
std::string format_known_hosts_line(const KnownHostEntry& entry);
// True when the entry's patterns (plain, [host]:port, wildcards, !negation or hashed) match name.
bool known_hosts_entry_matches(const KnownHostEntry& entry, const std::string& name);

// The keys pinned for host:port in the file (revoked and CA lines ignored); empty if the file
// does not exist.
std::vector<HostKey> pinned_host_keys(const std::filesystem::path& known_hosts, const std::string& host,
                                      int port);
// Replaces the file with one line per key for host:port (atomic write, mode 0600).
void write_known_hosts(const std::filesystem::path& known_hosts, const std::string& host, int port,
                       const std::vector<HostKey>& keys);
// Adds one line for host:port, keeping the existing lines (atomic rewrite, mode 0600).
void add_known_host(const std::filesystem::path& known_hosts, const std::string& host, int port,
                    const HostKey& key);

// Checks the key a server presented against the known_hosts file. Matching key: returns.
// No key for the host: with TrustOnFirstUse stores `seen` and returns, with Pinned throws
// HostKeyError. Different key: throws HostKeyError naming the machine,
// the expected and the seen SHA256 fingerprints. Never accepts a mismatch.
void verify_host_key(const std::filesystem::path& known_hosts, const std::string& host, int port,
                     const HostKey& seen, HostKeyPolicy policy, const std::string& machine_name);

}  // namespace machine::ssh
