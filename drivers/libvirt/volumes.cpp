#include "drivers/libvirt/volumes.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <chrono>
#include <cstdlib>

#include "drivers/libvirt/domain_xml.h"
#include "drivers/libvirt/libvirt_config.h"

namespace machine::drivers::libvirt {

std::string base_volume_name(const std::filesystem::path& file, std::string_view stem) {
  std::error_code ec;
  auto abs = std::filesystem::absolute(file, ec);
  auto size = std::filesystem::file_size(file, ec);
  auto mtime = std::filesystem::last_write_time(file, ec).time_since_epoch().count();
  auto id = fmt::format("{}|{}|{}", abs.string(), size, mtime);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_Digest(id.data(), id.size(), md, &len, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned i = 0; i < 6 && i < len; ++i) hex += fmt::format("{:02x}", md[i]);
  return fmt::format("machineos-{}-{}", hex, stem);
}

std::string upload_marker_name(const std::string& volume) { return volume + ".complete"; }

VolumeInfo ensure_uploaded(Connection& conn, const std::string& pool, const std::string& volume,
                           const std::filesystem::path& file) {
  auto marker = upload_marker_name(volume);
  if (auto info = conn.volume_info(pool, volume); info && conn.volume_info(pool, marker)) return *info;
  // A volume without its marker is a torn upload (interrupted create): start over.
  conn.delete_volume(pool, volume);
  std::error_code ec;
  auto size = std::filesystem::file_size(file, ec);
  if (ec) fail(Code::NotFound, fmt::format("cannot upload {}: {}", file.string(), ec.message()));
  auto info = conn.create_volume(pool, volume, volume_xml({volume, size, "raw", ""}));
  try {
    conn.upload_volume(pool, volume, file);
  } catch (const Error&) {
    conn.delete_volume(pool, volume);
    throw;
  }
  conn.create_volume(pool, marker, volume_xml({marker, 0, "raw", ""}));
  return info;
}

VolumeInfo create_overlay(Connection& conn, const std::string& pool, const std::string& volume,
                          const std::string& backing_path, uint64_t capacity_bytes) {
  return conn.create_volume(pool, volume, volume_xml({volume, capacity_bytes, "qcow2", backing_path}));
}

std::string default_pool_dir(const std::string& uri, const std::string& home,
                             const std::string& xdg_data_home) {
  if (uri.find("/system") != std::string::npos) return "/var/lib/libvirt/images";
  if (uri.find("/session") == std::string::npos || uri_is_remote(uri)) return "";
  if (!xdg_data_home.empty()) return xdg_data_home + "/libvirt/images";
  return home.empty() ? "" : home + "/.local/share/libvirt/images";
}

namespace {

// "" when `pool` exists; else the directory to create it in; throws when there is none.
std::string pool_to_create(Connection& conn, const std::string& pool) {
  if (conn.pool_exists(pool)) return "";
  auto env = [](const char* name) {
    const char* v = std::getenv(name);
    return std::string(v ? v : "");
  };
  auto dir = pool == "default" ? default_pool_dir(conn.uri(), env("HOME"), env("XDG_DATA_HOME")) : "";
  if (dir.empty())
    fail(Code::FailedPrecondition,
         fmt::format(
             "storage pool '{}' does not exist on {}: create one, e.g. `virsh -c {} pool-define-as {} dir "
             "--target <directory> && virsh -c {} pool-build {} && virsh -c {} pool-start {}`",
             pool, conn.uri(), conn.uri(), pool, conn.uri(), pool, conn.uri(), pool));
  return dir;
}

}  // namespace

void check_pool(Connection& conn, const std::string& pool) { pool_to_create(conn, pool); }

void ensure_pool(Connection& conn, const std::string& pool) {
  if (auto dir = pool_to_create(conn, pool); !dir.empty())
    conn.define_dir_pool(pool, dir_pool_xml(pool, dir));
  conn.ensure_pool(pool);
}

}  // namespace machine::drivers::libvirt
