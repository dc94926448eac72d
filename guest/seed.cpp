#include "guest/seed.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "machine/error.h"

namespace machine::guest {
namespace {

bool has_newline(const std::string& s) { return s.find_first_of("\r\n") != std::string::npos; }

void check_line(const std::string& what, const std::string& value) {
  if (value.empty()) fail(Code::InvalidArgument, fmt::format("seed: {} is empty", what));
  if (has_newline(value)) fail(Code::InvalidArgument, fmt::format("seed: {} contains a newline", what));
}

bool valid_hostname(const std::string& h) {
  if (h.empty() || h.size() > 253 || h.front() == '-' || h.front() == '.') return false;
  return std::all_of(h.begin(), h.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
  });
}

// True when `s` is valid UTF-8 without control characters: what a single-quoted YAML
// scalar can carry unchanged (YAML streams must be UTF-8; a line break would be folded).
// `block`: a literal block may also hold line feeds and tabs.
bool yaml_text(const std::string& s, bool block = false) {
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if ((c < 0x20 || c == 0x7f) && !(block && (c == '\n' || c == '\t'))) return false;
    size_t n = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : 4;
    if (n == 4 || (n == 1 && c < 0xc2) || i + n >= s.size() + (n == 0 ? 1 : 0)) return false;
    unsigned cp = n == 0 ? c : c & (0x3f >> n);
    for (size_t k = 1; k <= n; ++k) {
      auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      cp = cp << 6 | (d & 0x3f);
    }
    if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
      return false;
    i += n + 1;
  }
  return true;
}

// Plain YAML scalars stay bare; anything else is single-quoted ('' escapes '). Text a
// YAML scalar cannot hold (invalid UTF-8, control characters) is refused.
std::string scalar(const std::string& s) {
  if (!yaml_text(s))
    fail(Code::InvalidArgument,
         "seed: a value is not printable UTF-8 text (control characters or invalid bytes)");
  bool plain = !s.empty() &&
               std::all_of(s.begin(), s.end(),
                           [](char c) {
                             return std::isalnum(static_cast<unsigned char>(c)) ||
                                    std::string_view(" +/=@._-").find(c) != std::string_view::npos;
                           }) &&
               s.front() != ' ' && s.back() != ' ' && s.front() != '-' &&
               s.front() != '@';  // '@' is reserved
  if (plain) return s;
  std::string out = "'";
  for (char c : s) out += (c == '\'') ? std::string("''") : std::string(1, c);
  return out + "'";
}

std::string base64(const std::string& in) {
  static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8 | (unsigned char)in[i + 2];
    out += {tbl[v >> 18 & 63], tbl[v >> 12 & 63], tbl[v >> 6 & 63], tbl[v & 63]};
  }
  if (i + 1 == in.size()) {
    unsigned v = (unsigned char)in[i] << 16;
    out += {tbl[v >> 18 & 63], tbl[v >> 12 & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8;
    out += {tbl[v >> 18 & 63], tbl[v >> 12 & 63], tbl[v >> 6 & 63], '='};
  }
  return out;
}

bool block_safe(const std::string& s) {
  if (s.empty() || s.back() != '\n' || !yaml_text(s, true)) return false;  // else base64
  // `|` keeps exactly one final newline: "a\n\n" would come back as "a\n" (tests/fuzz/seed)
  if (s.size() >= 2 && s[s.size() - 2] == '\n') return false;
  // a first line starting with a space would change the block's indentation
  return s.front() != ' ' && s.front() != '\t' && s.front() != '\n';
}

void check_write_file(const WriteFile& f) {
  check_line("write_files path", f.path);
  if (f.path.front() != '/')
    fail(Code::InvalidArgument, fmt::format("seed: write_files path '{}' is not absolute", f.path));
  bool octal =
      f.permissions.size() >= 3 && f.permissions.size() <= 4 &&
      std::all_of(f.permissions.begin(), f.permissions.end(), [](char c) { return c >= '0' && c <= '7'; });
  if (!octal)
    fail(Code::InvalidArgument,
         fmt::format("seed: permissions '{}' of {} are not octal", f.permissions, f.path));
  check_line("write_files owner", f.owner);
}

}  // namespace

std::map<std::string, std::string> seed_files(const SeedConfig& c) {
  check_line("instance-id", c.instance_id);
  if (!valid_hostname(c.hostname))
    fail(Code::InvalidArgument, fmt::format("seed: invalid hostname '{}'", c.hostname));
  for (const auto& k : c.ssh_authorized_keys) check_line("ssh key", k);
  for (const auto& u : c.users) {
    if (!valid_hostname(u) || u.find('.') != std::string::npos)
      fail(Code::InvalidArgument, fmt::format("seed: invalid user name '{}'", u));
  }
  for (const auto& f : c.write_files) check_write_file(f);

  std::map<std::string, std::string> files;
  files["meta-data"] =
      fmt::format("instance-id: {}\nlocal-hostname: {}\n", scalar(c.instance_id), c.hostname);

  std::string ud = "#cloud-config\n";
  ud += fmt::format("hostname: {}\n", c.hostname);
  if (!c.ssh_authorized_keys.empty()) {
    ud += "ssh_authorized_keys:\n";
    for (const auto& k : c.ssh_authorized_keys) ud += "  - " + scalar(k) + "\n";
  }
  if (!c.users.empty()) {
    // "default" keeps cloud-init's default user (which gets ssh_authorized_keys)
    ud += "users:\n  - default\n";
    for (const auto& u : c.users) ud += "  - name: " + u + "\n";
  }
  if (!c.write_files.empty()) {
    ud += "write_files:\n";
    for (const auto& f : c.write_files) {
      ud += "  - path: " + scalar(f.path) + "\n";
      ud += "    permissions: '" + f.permissions + "'\n";
      ud += "    owner: " + scalar(f.owner) + "\n";
      if (!f.b64 && block_safe(f.content)) {
        ud += "    content: |\n";
        size_t pos = 0;
        while (pos < f.content.size()) {
          size_t end = f.content.find('\n', pos);
          std::string line = f.content.substr(pos, end - pos);
          ud += line.empty() ? "\n" : "      " + line + "\n";
          pos = end + 1;
        }
      } else {
        ud += "    encoding: b64\n";
        ud += "    content: " + base64(f.content) + "\n";
      }
    }
  }
  files["user-data"] = ud;

  if (c.private_network) {
    const auto& n = *c.private_network;
    check_line("private network address", n.address_cidr);
    check_line("private network MAC", n.mac);
    if (n.address_cidr.find('/') == std::string::npos)
      fail(Code::InvalidArgument, fmt::format("seed: private address '{}' needs a /prefix", n.address_cidr));
    std::string nc = "version: 2\nethernets:\n";
    // The NAT NIC comes first: machine OS reads the last macaddress as the private NIC.
    if (!n.primary_mac.empty())
      nc += fmt::format("  primary:\n    match:\n      macaddress: \"{}\"\n    dhcp4: true\n", n.primary_mac);
    nc += fmt::format("  private0:\n    match:\n      macaddress: \"{}\"\n    addresses:\n      - {}\n",
                      n.mac, n.address_cidr);
    files["network-config"] = nc;
  }
  return files;
}

void write_seed_iso(ProcessRunner& runner, const SeedConfig& config, const std::filesystem::path& iso) {
  namespace fs = std::filesystem;
  auto files = seed_files(config);
  require_program(runner, "xorriso", "xorriso");
  fs::path dir = iso.parent_path() / fmt::format(".seed-{}", ::getpid());
  fs::path tmp = iso.parent_path() / fmt::format(".{}.{}.tmp", iso.filename().string(), ::getpid());
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir);
  struct Cleanup {
    fs::path d, t;
    ~Cleanup() {
      std::error_code e;
      fs::remove_all(d, e);
      fs::remove(t, e);
    }
  } cleanup{dir, tmp};
  for (const auto& [name, content] : files) {
    std::ofstream out(dir / name, std::ios::binary);
    out << content;
    if (!out.flush()) fail(Code::Internal, fmt::format("cannot write seed file {}", (dir / name).string()));
  }
  Command cmd{"xorriso",
              {"-as", "mkisofs", "-quiet", "-volid", "cidata", "-joliet", "-rock", "-output", tmp.string(),
               dir.string()},
              {},
              std::nullopt,
              std::chrono::seconds(60),
              {}};
  run_checked(runner, cmd, "cannot write seed iso");
  fs::permissions(tmp, fs::perms::owner_read | fs::perms::owner_write);
  fs::rename(tmp, iso);
}

}  // namespace machine::guest
