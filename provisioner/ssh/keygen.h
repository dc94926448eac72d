#pragma once
// Per-machine SSH client keys, generated with OpenSSL at create. ed25519 is preferred: the
// libssh2 1.10 in Debian bookworm (OpenSSL backend) supports it, and it has no rsa-sha2-*
// signatures, so an RSA key would be refused by OpenSSH >= 8.8 servers. RSA is the fallback
// only for a libssh2 built without ed25519.
#include <filesystem>
#include <string>

namespace machine::ssh {

enum class KeyType { Ed25519, Rsa };

struct KeyPair {
  KeyType type;
  std::string private_key;  // ed25519: "OPENSSH PRIVATE KEY" format; RSA: PEM "RSA PRIVATE KEY"
  std::string public_key;   // authorized_keys line: "<type> <base64> <comment>"
};

// Ed25519 when the linked libssh2 offers ssh-ed25519, else Rsa.
KeyType preferred_key_type();

// Generates a fresh key pair (RSA: 3072 bits). Throws Error(Internal) on OpenSSL failure.
KeyPair generate_key_pair(KeyType type, const std::string& comment);

// Writes private_path (mode 0600) and private_path + ".pub" (0644), atomically.
// Throws Error(AlreadyExists) if private_path exists: a machine key is never overwritten.
void write_key_pair(const KeyPair& pair, const std::filesystem::path& private_path);

// generate_key_pair(preferred_key_type()) + write_key_pair; returns the public key line.
std::string create_machine_key(const std::filesystem::path& private_path, const std::string& comment);

// The authorized_keys line stored next to private_path (private_path + ".pub"), trimmed.
std::string read_public_key(const std::filesystem::path& private_path);

}  // namespace machine::ssh
