#pragma once
// SSH wire-format encoding (RFC 4251 §5) for key blobs and the OpenSSH private key format.
// Internal to provisioner/.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace machine::ssh::detail {

inline void put_u32(std::string& out, std::uint32_t v) {
  out.push_back(static_cast<char>(v >> 24));
  out.push_back(static_cast<char>(v >> 16));
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}

inline void put_string(std::string& out, std::string_view s) {
  put_u32(out, static_cast<std::uint32_t>(s.size()));
  out.append(s);
}

// mpint from a big-endian unsigned magnitude: leading zeros stripped, a zero byte added when
// the top bit is set so the number stays positive.
inline void put_mpint(std::string& out, std::string_view magnitude) {
  size_t i = 0;
  while (i < magnitude.size() && magnitude[i] == 0) ++i;
  std::string m(magnitude.substr(i));
  if (!m.empty() && (static_cast<unsigned char>(m[0]) & 0x80)) m.insert(m.begin(), '\0');
  put_string(out, m);
}

// Reads a length-prefixed string at pos, advancing pos; nullopt when truncated.
inline std::optional<std::string_view> read_string(std::string_view in, size_t& pos) {
  if (pos > in.size() || in.size() - pos < 4) return std::nullopt;
  std::uint32_t n = (static_cast<std::uint32_t>(static_cast<unsigned char>(in[pos])) << 24) |
                    (static_cast<std::uint32_t>(static_cast<unsigned char>(in[pos + 1])) << 16) |
                    (static_cast<std::uint32_t>(static_cast<unsigned char>(in[pos + 2])) << 8) |
                    static_cast<std::uint32_t>(static_cast<unsigned char>(in[pos + 3]));
  pos += 4;
  if (in.size() - pos < n) return std::nullopt;
  auto s = in.substr(pos, n);
  pos += n;
  return s;
}

}  // namespace machine::ssh::detail
