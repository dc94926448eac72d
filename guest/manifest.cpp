#include "guest/manifest.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>

#include "machine/error.h"

namespace machine::guest {

nlohmann::json make_manifest(const ManifestInput& in) {
  nlohmann::json files = nlohmann::json::object();
  for (const auto& f : in.files) files[f.role] = {{"name", f.name}, {"size", f.size}, {"sha256", f.sha256}};
  nlohmann::json pkgs = nlohmann::json::array();
  for (const auto& p : in.packages)
    pkgs.push_back({{"name", p.name}, {"version", p.version}, {"installed_kib", p.installed_kib}});
  nlohmann::json steps = nlohmann::json::object();
  for (const auto& [step, secs] : in.step_seconds) steps[step] = secs;
  return {
      {"schema", kManifestSchema},
      {"name", in.name},
      {"version", in.version},
      {"suite", in.suite},
      {"kernel_version", in.kernel_version},
      {"kernel_cmdline", in.kernel_cmdline},
      {"built_at", iso8601_utc(in.built_at)},
      {"build_seconds", in.build_seconds},
      {"step_seconds", steps},
      {"rootfs_bytes", in.rootfs_bytes},
      {"files", files},
      {"packages", pkgs},
  };
}

std::vector<PackageInfo> parse_packages_tsv(std::string_view tsv) {
  std::vector<PackageInfo> out;
  size_t pos = 0;
  while (pos < tsv.size()) {
    size_t end = tsv.find('\n', pos);
    if (end == std::string_view::npos) end = tsv.size();
    std::string_view line = tsv.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) continue;
    size_t t1 = line.find('\t');
    if (t1 == std::string_view::npos) continue;
    size_t t2 = line.find('\t', t1 + 1);
    PackageInfo p;
    p.name = std::string(line.substr(0, t1));
    p.version =
        std::string(line.substr(t1 + 1, t2 == std::string_view::npos ? std::string_view::npos : t2 - t1 - 1));
    if (t2 != std::string_view::npos) {
      try {
        p.installed_kib = std::stol(std::string(line.substr(t2 + 1)));
      } catch (const std::exception&) {
        p.installed_kib = 0;  // virtual or metapackages report nothing
      }
    }
    out.push_back(std::move(p));
  }
  return out;
}

std::string sha256_file(const std::filesystem::path& file) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(file.c_str(), "rb"), &std::fclose);
  if (!f)
    fail(errno == ENOENT ? Code::NotFound : Code::Internal,
         fmt::format("cannot read {}: {}", file.string(), std::strerror(errno)));
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
    fail(Code::Internal, "sha256: cannot initialise digest");
  std::array<unsigned char, 1 << 16> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f.get())) > 0) EVP_DigestUpdate(ctx.get(), buf.data(), n);
  if (std::ferror(f.get())) fail(Code::Internal, fmt::format("cannot read {}", file.string()));
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  std::string hex;
  for (unsigned i = 0; i < len; ++i) hex += fmt::format("{:02x}", md[i]);
  return hex;
}

std::string iso8601_utc(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace machine::guest
