#include "drivers/libvirt/connection.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/virterror.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>

namespace machine::drivers::libvirt {
namespace {

// libvirt prints every error to stderr unless a handler is set; we report them ourselves.
void quiet_libvirt() {
  static std::once_flag once;
  std::call_once(once, [] {
    virInitialize();
    virSetErrorFunc(nullptr, [](void*, virErrorPtr) {});
  });
}

Code code_for(int libvirt_code) {
  switch (libvirt_code) {
    case VIR_ERR_NO_DOMAIN:
    case VIR_ERR_NO_STORAGE_POOL:
    case VIR_ERR_NO_STORAGE_VOL:
    case VIR_ERR_NO_NETWORK:
      return Code::NotFound;
    case VIR_ERR_DOM_EXIST:
    case VIR_ERR_STORAGE_VOL_EXIST:
      return Code::AlreadyExists;
    case VIR_ERR_OPERATION_INVALID:
      return Code::FailedPrecondition;
    case VIR_ERR_INVALID_ARG:
    case VIR_ERR_XML_ERROR:
    case VIR_ERR_XML_DETAIL:
    case VIR_ERR_CONFIG_UNSUPPORTED:
      return Code::InvalidArgument;
    case VIR_ERR_NO_CONNECT:
    case VIR_ERR_RPC:
    case VIR_ERR_SYSTEM_ERROR:
    case VIR_ERR_AUTH_FAILED:
    case VIR_ERR_AUTH_UNAVAILABLE:
    case VIR_ERR_OPERATION_TIMEOUT:
      return Code::Unavailable;
    default:
      return Code::Internal;
  }
}

int last_code() {
  virErrorPtr e = virGetLastError();
  return e ? e->code : VIR_ERR_OK;
}

struct DomainFree {
  void operator()(virDomainPtr d) const { virDomainFree(d); }
};
struct PoolFree {
  void operator()(virStoragePoolPtr p) const { virStoragePoolFree(p); }
};
struct VolFree {
  void operator()(virStorageVolPtr v) const { virStorageVolFree(v); }
};
struct StreamFree {
  void operator()(virStreamPtr s) const { virStreamFree(s); }
};
using DomainH = std::unique_ptr<virDomain, DomainFree>;
using PoolH = std::unique_ptr<virStoragePool, PoolFree>;
using VolH = std::unique_ptr<virStorageVol, VolFree>;
using StreamH = std::unique_ptr<virStream, StreamFree>;

// nullptr when absent; other failures throw.
DomainH find_domain(virConnectPtr c, const std::string& name) {
  DomainH d(virDomainLookupByName(c, name.c_str()));
  if (!d && last_code() != VIR_ERR_NO_DOMAIN) fail_libvirt(fmt::format("cannot look up domain '{}'", name));
  return d;
}

DomainH domain(virConnectPtr c, const std::string& name, std::string_view what) {
  DomainH d(virDomainLookupByName(c, name.c_str()));
  if (!d) fail_libvirt(fmt::format("cannot {} domain '{}'", what, name));
  return d;
}

PoolH pool(virConnectPtr c, const std::string& name) {
  PoolH p(virStoragePoolLookupByName(c, name.c_str()));
  if (!p) fail_libvirt(fmt::format("cannot find storage pool '{}'", name));
  return p;
}

VolH find_volume(virConnectPtr c, const std::string& pool_name, const std::string& name) {
  auto p = pool(c, pool_name);
  VolH v(virStorageVolLookupByName(p.get(), name.c_str()));
  if (!v && last_code() != VIR_ERR_NO_STORAGE_VOL)
    fail_libvirt(fmt::format("cannot look up volume '{}' in pool '{}'", name, pool_name));
  return v;
}

VolumeInfo info_of(virStorageVolPtr v, const std::string& name) {
  VolumeInfo out;
  std::unique_ptr<char, decltype(&free)> path(virStorageVolGetPath(v), &free);
  if (!path) fail_libvirt(fmt::format("cannot get the path of volume '{}'", name));
  out.path = path.get();
  virStorageVolInfo info{};
  // PHYSICAL: the bytes on the host, i.e. what an upload wrote (not the qcow2 virtual size).
  if (virStorageVolGetInfoFlags(v, &info, VIR_STORAGE_VOL_GET_PHYSICAL) < 0 &&
      virStorageVolGetInfo(v, &info) < 0)
    fail_libvirt(fmt::format("cannot get information on volume '{}'", name));
  out.physical = info.allocation;
  virStorageVolInfo cap{};
  out.capacity = virStorageVolGetInfo(v, &cap) == 0 ? cap.capacity : info.capacity;
  return out;
}

}  // namespace

void fail_libvirt(std::string_view context) {
  virErrorPtr e = virGetLastError();
  std::string msg = e && e->message ? e->message : "unknown libvirt error";
  Code code = e ? code_for(e->code) : Code::Internal;
  virResetLastError();
  fail(code, fmt::format("{}: {}", context, msg));
}

Connection::Connection(const std::string& uri) : uri_(uri) {
  quiet_libvirt();
  conn_ = virConnectOpenAuth(uri.c_str(), virConnectAuthPtrDefault, 0);
  if (conn_) return;
  virErrorPtr e = virGetLastError();
  std::string msg = e && e->message ? e->message : "unknown libvirt error";
  std::string hint;
  bool auth = e && (e->code == VIR_ERR_AUTH_FAILED || e->code == VIR_ERR_AUTH_UNAVAILABLE ||
                    e->code == VIR_ERR_AUTH_CANCELLED);
  if (auth && uri.find("/system") != std::string::npos)
    hint =
        " (your user may not manage qemu:///system: join the libvirt group, or use --libvirt-uri "
        "qemu:///session)";
  else if (uri.rfind("qemu:///system", 0) == 0 || (uri.rfind("qemu:///session", 0) == 0 && ::geteuid() == 0))
    hint =
        " (is libvirtd running? start it with `sudo systemctl start libvirtd`, or without systemd "
        "run `virtlogd -d && libvirtd -d` as root)";
  else if (uri.rfind("qemu:///session", 0) == 0)
    hint = " (libvirt starts the session daemon itself: is libvirt-daemon-driver-qemu installed?)";
  else if (uri.find("+ssh") != std::string::npos || uri.find("+libssh") != std::string::npos)
    hint = " (check SSH access to the host and that libvirtd runs there)";
  virResetLastError();
  fail(Code::Unavailable, fmt::format("cannot connect to libvirt at {}: {}{}", uri, msg, hint));
}

Connection::~Connection() {
  if (conn_) virConnectClose(conn_);
}

std::string Connection::hostname() const {
  std::unique_ptr<char, decltype(&free)> h(virConnectGetHostname(conn_), &free);
  if (!h) virResetLastError();
  return h ? h.get() : "";
}

bool Connection::domain_exists(const std::string& name) { return find_domain(conn_, name) != nullptr; }

std::string Connection::define_domain(const std::string& name, const std::string& xml) {
  DomainH d(virDomainDefineXML(conn_, xml.c_str()));
  if (!d) fail_libvirt(fmt::format("cannot define domain for '{}'", name));
  char uuid[VIR_UUID_STRING_BUFLEN] = {};
  if (virDomainGetUUIDString(d.get(), uuid) < 0)
    fail_libvirt(fmt::format("cannot get the UUID of domain '{}'", name));
  return uuid;
}

std::optional<std::string> Connection::domain_uuid(const std::string& name) {
  auto d = find_domain(conn_, name);
  if (!d) return virResetLastError(), std::nullopt;
  char uuid[VIR_UUID_STRING_BUFLEN] = {};
  if (virDomainGetUUIDString(d.get(), uuid) < 0)
    fail_libvirt(fmt::format("cannot get the UUID of domain '{}'", name));
  return std::string(uuid);
}

void Connection::start_domain(const std::string& name) {
  auto d = domain(conn_, name, "start");
  if (virDomainCreate(d.get()) < 0) fail_libvirt(fmt::format("cannot start domain '{}'", name));
}

void Connection::suspend_domain(const std::string& name) {
  auto d = domain(conn_, name, "suspend");
  if (virDomainSuspend(d.get()) < 0) fail_libvirt(fmt::format("cannot suspend domain '{}'", name));
}

void Connection::resume_domain(const std::string& name) {
  auto d = domain(conn_, name, "resume");
  if (virDomainResume(d.get()) < 0) fail_libvirt(fmt::format("cannot resume domain '{}'", name));
}

void Connection::shutdown_domain(const std::string& name) {
  auto d = domain(conn_, name, "shut down");
  if (virDomainShutdownFlags(d.get(), VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN) < 0 &&
      virDomainShutdown(d.get()) < 0)
    fail_libvirt(fmt::format("cannot shut down domain '{}'", name));
}

void Connection::destroy_domain(const std::string& name) {
  auto d = find_domain(conn_, name);
  if (!d || virDomainIsActive(d.get()) == 0) return;
  if (virDomainDestroy(d.get()) < 0) {
    if (last_code() == VIR_ERR_OPERATION_INVALID) return virResetLastError();  // stopped meanwhile
    fail_libvirt(fmt::format("cannot destroy domain '{}'", name));
  }
}

void Connection::undefine_domain(const std::string& name) {
  auto d = find_domain(conn_, name);
  if (!d) return;
  unsigned flags = VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
                   VIR_DOMAIN_UNDEFINE_NVRAM | VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA;
  if (virDomainUndefineFlags(d.get(), flags) < 0 && virDomainUndefine(d.get()) < 0)
    fail_libvirt(fmt::format("cannot undefine domain '{}'", name));
}

std::optional<RawState> Connection::domain_state(const std::string& name) {
  auto d = find_domain(conn_, name);
  if (!d) return std::nullopt;
  RawState s;
  if (virDomainGetState(d.get(), &s.state, &s.reason, 0) < 0)
    fail_libvirt(fmt::format("cannot get the state of domain '{}'", name));
  return s;
}

std::string Connection::qemu_monitor_command(const std::string& name, const std::string& hmp) {
  auto d = domain(conn_, name, "reach the monitor of");
  char* reply = nullptr;
  if (virDomainQemuMonitorCommand(d.get(), hmp.c_str(), &reply, VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP) < 0)
    fail_libvirt(fmt::format("monitor command '{}' on domain '{}' failed", hmp, name));
  std::string out = reply ? reply : "";
  free(reply);
  return out;
}

std::string Connection::domain_xml_desc(const std::string& name, bool inactive) {
  auto d = domain(conn_, name, "describe");
  std::unique_ptr<char, decltype(&free)> x(
      virDomainGetXMLDesc(d.get(), inactive ? VIR_DOMAIN_XML_INACTIVE : 0), &free);
  if (!x) fail_libvirt(fmt::format("cannot get the XML of domain '{}'", name));
  return x.get();
}

bool Connection::pool_exists(const std::string& name) {
  PoolH p(virStoragePoolLookupByName(conn_, name.c_str()));
  if (!p && last_code() != VIR_ERR_NO_STORAGE_POOL)
    fail_libvirt(fmt::format("cannot look up storage pool '{}'", name));
  virResetLastError();
  return p != nullptr;
}

void Connection::ensure_pool(const std::string& name) {
  auto p = pool(conn_, name);
  int active = virStoragePoolIsActive(p.get());
  if (active < 0) fail_libvirt(fmt::format("cannot get the state of storage pool '{}'", name));
  if (active == 0 && virStoragePoolCreate(p.get(), 0) < 0)
    fail_libvirt(fmt::format("cannot start storage pool '{}'", name));
}

void Connection::define_dir_pool(const std::string& name, const std::string& xml) {
  PoolH p(virStoragePoolDefineXML(conn_, xml.c_str(), 0));
  if (!p) fail_libvirt(fmt::format("cannot define storage pool '{}'", name));
  // Build makes the target directory; it fails harmlessly when it exists.
  if (virStoragePoolBuild(p.get(), 0) < 0) virResetLastError();
  if (virStoragePoolCreate(p.get(), 0) < 0) fail_libvirt(fmt::format("cannot start storage pool '{}'", name));
  virStoragePoolSetAutostart(p.get(), 1);
}

std::optional<VolumeInfo> Connection::volume_info(const std::string& pool_name, const std::string& name) {
  auto v = find_volume(conn_, pool_name, name);
  if (!v) {
    virResetLastError();
    return std::nullopt;
  }
  return info_of(v.get(), name);
}

VolumeInfo Connection::create_volume(const std::string& pool_name, const std::string& name,
                                     const std::string& xml) {
  auto p = pool(conn_, pool_name);
  VolH v(virStorageVolCreateXML(p.get(), xml.c_str(), 0));
  if (!v) fail_libvirt(fmt::format("cannot create volume '{}' in pool '{}'", name, pool_name));
  return info_of(v.get(), name);
}

void Connection::upload_volume(const std::string& pool_name, const std::string& name,
                               const std::filesystem::path& file) {
  auto context = fmt::format("cannot upload {} to volume '{}'", file.string(), name);
  auto v = find_volume(conn_, pool_name, name);
  if (!v) fail_libvirt(context);
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(Code::NotFound, fmt::format("{}: {}", context, std::strerror(errno)));
  std::unique_ptr<int, void (*)(int*)> closer(&fd, [](int* f) { ::close(*f); });
  std::error_code ec;
  auto size = std::filesystem::file_size(file, ec);
  StreamH st(virStreamNew(conn_, 0));
  if (!st) fail_libvirt(context);
  if (virStorageVolUpload(v.get(), st.get(), 0, size, 0) < 0) fail_libvirt(context);
  auto source = [](virStreamPtr, char* data, size_t n, void* opaque) -> int {
    ssize_t got;
    do got = ::read(*static_cast<int*>(opaque), data, n);
    while (got < 0 && errno == EINTR);
    return static_cast<int>(got);
  };
  if (virStreamSendAll(st.get(), source, &fd) < 0) {
    virStreamAbort(st.get());
    fail_libvirt(context);
  }
  if (virStreamFinish(st.get()) < 0) fail_libvirt(context);
}

void Connection::delete_volume(const std::string& pool_name, const std::string& name) {
  if (!pool_exists(pool_name)) return;
  auto v = find_volume(conn_, pool_name, name);
  if (!v) return virResetLastError();
  if (virStorageVolDelete(v.get(), 0) < 0)
    fail_libvirt(fmt::format("cannot delete volume '{}' from pool '{}'", name, pool_name));
}

std::string Connection::download_volume(const std::string& pool_name, const std::string& name,
                                        uint64_t max_bytes) {
  auto context = fmt::format("cannot download volume '{}'", name);
  auto v = find_volume(conn_, pool_name, name);
  if (!v) fail_libvirt(context);
  StreamH st(virStreamNew(conn_, 0));
  if (!st) fail_libvirt(context);
  if (virStorageVolDownload(v.get(), st.get(), 0, max_bytes, 0) < 0) fail_libvirt(context);
  std::string out;
  char buf[64 * 1024];
  for (;;) {
    int n = virStreamRecv(st.get(), buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      virStreamAbort(st.get());
      fail_libvirt(context);
    }
    out.append(buf, static_cast<size_t>(n));
  }
  if (virStreamFinish(st.get()) < 0) fail_libvirt(context);
  return out;
}

std::optional<bool> Connection::network_active(const std::string& network) {
  std::unique_ptr<virNetwork, decltype(&virNetworkFree)> n(virNetworkLookupByName(conn_, network.c_str()),
                                                           &virNetworkFree);
  if (!n) {
    if (last_code() == VIR_ERR_NO_NETWORK) return virResetLastError(), std::nullopt;
    fail_libvirt(fmt::format("cannot look up network '{}'", network));
  }
  int active = virNetworkIsActive(n.get());
  if (active < 0) fail_libvirt(fmt::format("cannot get the state of network '{}'", network));
  return active == 1;
}

std::vector<std::string> Connection::domain_lease_addresses(const std::string& name) {
  auto d = domain(conn_, name, "get the addresses of");
  virDomainInterfacePtr* ifaces = nullptr;
  int n = virDomainInterfaceAddresses(d.get(), &ifaces, VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE, 0);
  if (n < 0) fail_libvirt(fmt::format("cannot get the addresses of domain '{}'", name));
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    for (unsigned a = 0; a < ifaces[i]->naddrs; ++a)
      if (ifaces[i]->addrs[a].type == VIR_IP_ADDR_TYPE_IPV4) out.emplace_back(ifaces[i]->addrs[a].addr);
    virDomainInterfaceFree(ifaces[i]);
  }
  free(ifaces);
  return out;
}

std::string Connection::capabilities() {
  std::unique_ptr<char, decltype(&free)> x(virConnectGetCapabilities(conn_), &free);
  if (!x) fail_libvirt("cannot get the hypervisor's capabilities");
  return x.get();
}

}  // namespace machine::drivers::libvirt
