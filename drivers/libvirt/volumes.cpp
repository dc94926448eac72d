#include "drivers/libvirt/volumes.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <chrono>

#include "drivers/libvirt/domain_xml.h"

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

void ensure_pool(Connection& conn, const std::string& pool) {
  if (!conn.pool_exists(pool)) {
    bool system = conn.uri().find("/system") != std::string::npos;
    if (pool != "default" || !system)
      fail(Code::FailedPrecondition,
           fmt::format("storage pool '{}' does not exist on {}: create one, e.g. `virsh -c {} pool-define-as {} dir "
                       "--target /var/lib/libvirt/images && virsh -c {} pool-start {}`",
                       pool, conn.uri(), conn.uri(), pool, conn.uri(), pool));
    conn.define_dir_pool(pool, dir_pool_xml(pool, "/var/lib/libvirt/images"));
  }
  conn.ensure_pool(pool);
}

}  // namespace machine::drivers::libvirt
