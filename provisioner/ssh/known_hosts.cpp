#include "provisioner/ssh/known_hosts.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <set>

#include "machine/error.h"
#include "machine/fs.h"
#include "provisioner/ssh/ssh_wire.h"

namespace machine::ssh {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Splits off the next whitespace-separated field.
std::string_view next_field(std::string_view& rest) {
  rest = trim(rest);
  size_t end = rest.find_first_of(" \t");
  auto field = rest.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
  return field;
}

// OpenSSH's wildcard match: '*' any run, '?' any one character.
bool wildcard_match(std::string_view pattern, std::string_view name) {
  if (pattern.empty()) return name.empty();
  if (pattern[0] == '*') {
    for (size_t i = 0; i <= name.size(); ++i)
      if (wildcard_match(pattern.substr(1), name.substr(i))) return true;
    return false;
  }
  if (name.empty()) return false;
  if (pattern[0] != '?' && std::tolower(static_cast<unsigned char>(pattern[0])) !=
                               std::tolower(static_cast<unsigned char>(name[0])))
    return false;
  return wildcard_match(pattern.substr(1), name.substr(1));
}

// "|1|<salt b64>|<hmac-sha1(salt, name) b64>"
bool hashed_match(std::string_view hosts, const std::string& name) {
  auto body = hosts.substr(3);
  size_t bar = body.find('|');
  if (bar == std::string_view::npos) return false;
  try {
    std::string salt = base64_decode(body.substr(0, bar));
    std::string want = base64_decode(body.substr(bar + 1));
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha1(), salt.data(), static_cast<int>(salt.size()),
         reinterpret_cast<const unsigned char*>(name.data()), name.size(), mac, &len);
    return want == std::string(reinterpret_cast<char*>(mac), len);
  } catch (const Error&) {
    return false;
  }
}

std::string read_if_exists(const std::filesystem::path& path) {
  try {
    return fs::read_file(path);
  } catch (const Error& e) {
    if (e.code() == Code::NotFound) return {};
    throw;
  }
}

std::string join_fingerprints(const std::vector<HostKey>& keys) {
  std::string out;
  for (const auto& k : keys) {
    if (!out.empty()) out += ", ";
    out += fmt::format("{} ({})", k.fingerprint(), k.type);
  }
  return out;
}

}  // namespace

std::string base64_encode(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string base64_decode(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0)
    fail(Code::InvalidArgument, "invalid base64: length is not a multiple of 4");
  for (char c : text)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/' && c != '=')
      fail(Code::InvalidArgument, "invalid base64: unexpected character");
  std::string out(text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) fail(Code::InvalidArgument, "invalid base64");
  // EVP_DecodeBlock counts the padding as zero bytes.
  size_t pad = text.ends_with("==") ? 2 : text.ends_with("=") ? 1 : 0;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

std::string HostKey::base64() const { return base64_encode(blob); }

std::string HostKey::fingerprint() const {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(blob.data(), blob.size(), md, &len, EVP_sha256(), nullptr);
  std::string b64 = base64_encode(std::string_view(reinterpret_cast<char*>(md), len));
  while (!b64.empty() && b64.back() == '=') b64.pop_back();
  return "SHA256:" + b64;
}

HostKey host_key_from_blob(std::string_view blob) {
  size_t pos = 0;
  auto type = detail::read_string(blob, pos);
  if (!type || type->empty()) fail(Code::InvalidArgument, "malformed host key blob");
  // Every public key format is a sequence of length-prefixed fields that fills the blob exactly;
  // this rejects a key truncated by a garbled console line.
  std::vector<std::string_view> fields;
  while (pos < blob.size()) {
    auto field = detail::read_string(blob, pos);
    if (!field) fail(Code::InvalidArgument, fmt::format("truncated {} host key", *type));
    fields.push_back(*field);
  }
  if (fields.empty() || (*type == "ssh-ed25519" && (fields.size() != 1 || fields[0].size() != 32)))
    fail(Code::InvalidArgument, fmt::format("malformed {} host key", *type));
  return HostKey{std::string(*type), std::string(blob)};
}

HostKey parse_host_key(std::string_view type, std::string_view base64) {
  HostKey key = host_key_from_blob(base64_decode(base64));
  if (key.type != type)
    fail(Code::InvalidArgument,
         fmt::format("host key type '{}' does not match its data ('{}')", type, key.type));
  return key;
}

std::string known_hosts_name(const std::string& host, int port) {
  if (port == 22) return host;
  return fmt::format("[{}]:{}", host, port);
}

std::vector<KnownHostEntry> parse_known_hosts(std::string_view text) {
  std::vector<KnownHostEntry> entries;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    KnownHostEntry e;
    std::string_view rest = line;
    auto first = next_field(rest);
    if (first.starts_with('@')) {
      e.marker = first;
      first = next_field(rest);
    }
    e.hosts = first;
    auto type = next_field(rest);
    auto b64 = next_field(rest);
    if (e.hosts.empty() || type.empty() || b64.empty()) continue;
    try {
      e.key = parse_host_key(type, b64);
    } catch (const Error&) {
      continue;
    }
    e.comment = trim(rest);
    entries.push_back(std::move(e));
  }
  return entries;
}

std::string format_known_hosts_line(const KnownHostEntry& entry) {
  std::string line;
  if (!entry.marker.empty()) line = entry.marker + " ";
  line += fmt::format("{} {} {}", entry.hosts, entry.key.type, entry.key.base64());
  if (!entry.comment.empty()) line += " " + entry.comment;
  return line;
}

bool known_hosts_entry_matches(const KnownHostEntry& entry, const std::string& name) {
  std::string_view hosts = entry.hosts;
  if (hosts.starts_with("|1|")) return hashed_match(hosts, name);
  bool matched = false;
  while (!hosts.empty()) {
    size_t comma = hosts.find(',');
    auto pattern = hosts.substr(0, comma);
    hosts = comma == std::string_view::npos ? std::string_view{} : hosts.substr(comma + 1);
    bool negated = pattern.starts_with('!');
    if (negated) pattern.remove_prefix(1);
    if (!wildcard_match(pattern, name)) continue;
    if (negated) return false;  // a matching negation wins over everything
    matched = true;
  }
  return matched;
}

std::vector<HostKey> pinned_host_keys(const std::filesystem::path& known_hosts, const std::string& host,
                                      int port) {
  std::string name = known_hosts_name(host, port);
  std::vector<HostKey> keys;
  for (const auto& e : parse_known_hosts(read_if_exists(known_hosts))) {
    if (!e.marker.empty() || !known_hosts_entry_matches(e, name)) continue;
    if (std::find(keys.begin(), keys.end(), e.key) == keys.end()) keys.push_back(e.key);
  }
  return keys;
}

void write_known_hosts(const std::filesystem::path& known_hosts, const std::string& host, int port,
                       const std::vector<HostKey>& keys) {
  std::string text;
  for (const auto& k : keys)
    text += format_known_hosts_line(KnownHostEntry{"", known_hosts_name(host, port), k, ""}) + "\n";
  fs::write_file_atomic(known_hosts, text, 0600);
}

void add_known_host(const std::filesystem::path& known_hosts, const std::string& host, int port,
                    const HostKey& key) {
  std::string text = read_if_exists(known_hosts);
  if (!text.empty() && text.back() != '\n') text += '\n';
  text += format_known_hosts_line(KnownHostEntry{"", known_hosts_name(host, port), key, ""}) + "\n";
  fs::write_file_atomic(known_hosts, text, 0600);
}

void verify_host_key(const std::filesystem::path& known_hosts, const std::string& host, int port,
                     const HostKey& seen, HostKeyPolicy policy, const std::string& machine_name) {
  std::string who = machine_name.empty() ? known_hosts_name(host, port) : "'" + machine_name + "'";
  auto pinned = pinned_host_keys(known_hosts, host, port);
  if (std::find(pinned.begin(), pinned.end(), seen) != pinned.end()) return;
  if (pinned.empty()) {
    if (policy == HostKeyPolicy::TrustOnFirstUse) {
      add_known_host(known_hosts, host, port, seen);
      return;
    }
    throw HostKeyError(
        fmt::format("no pinned host key for machine {} ({}) in {}; refusing to connect to unverified "
                    "server presenting {} ({})",
                    who, known_hosts_name(host, port), known_hosts.string(), seen.fingerprint(), seen.type));
  }
  throw HostKeyError(
      fmt::format("host key mismatch for machine {} ({}): expected {}, but the server presented {} ({}); "
                  "refusing to connect (pinned keys are in {})",
                  who, known_hosts_name(host, port), join_fingerprints(pinned), seen.fingerprint(), seen.type,
                  known_hosts.string()));
}

}  // namespace machine::ssh
