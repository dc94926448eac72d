#pragma once
// The driver's use of libvirt's storage API: base images uploaded into the pool once and
// shared by every machine, per-machine overlays and seeds. Everything goes through the
// API (streams for uploads), so a remote hypervisor host needs no shared filesystem.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "drivers/libvirt/connection.h"

namespace machine::drivers::libvirt {

// "machineos-<12 hex>-<stem>": names a base volume after the local file it is uploaded
// from (absolute path, size, modification time), so a changed image gets a new volume
// and an unchanged one is uploaded once.
std::string base_volume_name(const std::filesystem::path& file, std::string_view stem);

// The name of the marker volume that says `volume` was uploaded completely.
std::string upload_marker_name(const std::string& volume);

// Makes `volume` in `pool` hold the bytes of `file`: reuses it when its upload marker
// exists, else (re)creates it, uploads, and writes the marker. Returns its info.
VolumeInfo ensure_uploaded(Connection& conn, const std::string& pool, const std::string& volume,
                           const std::filesystem::path& file);

// A qcow2 overlay volume backed by the volume at `backing_path`.
VolumeInfo create_overlay(Connection& conn, const std::string& pool, const std::string& volume,
                          const std::string& backing_path, uint64_t capacity_bytes);

// Where a missing "default" pool is created, as virt-install/virt-manager do:
// /var/lib/libvirt/images for system URIs, $XDG_DATA_HOME (or ~/.local/share)/libvirt/images
// for local session URIs; "" when there is no conventional place (remote session URIs).
std::string default_pool_dir(const std::string& uri, const std::string& home,
                             const std::string& xdg_data_home);

// Makes sure `pool` exists and is active, creating "default" where default_pool_dir()
// says; other missing pools are an error saying how to create one.
void ensure_pool(Connection& conn, const std::string& pool);

// What ensure_pool would do, without doing it: throws its FailedPrecondition error when
// the pool is missing and cannot be created.
void check_pool(Connection& conn, const std::string& pool);

}  // namespace machine::drivers::libvirt
