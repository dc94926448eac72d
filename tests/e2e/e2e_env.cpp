#include "tests/e2e/e2e_env.h"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace machine::e2e {

Result sh(const std::string& command_line, const std::vector<std::string>& env) {
  std::string full;
  for (const auto& e : env) full += "export " + e + "; ";
  full += "exec 2>&1; " + command_line;
  std::string quoted = "'";
  for (char c : full) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  quoted += "'";
  Result r;
  FILE* p = ::popen(("sh -c " + quoted).c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

Store::Store() {
  // Share the run's prebuilt image read-only: a symlink to its cache directory.
  const char* shared = std::getenv("MACHINE_TEST_IMAGE_CACHE");
  std::filesystem::path cache = shared ? shared : "/var/tmp/machine-test-cache";
  std::filesystem::create_directories(cache);
  std::filesystem::create_directory_symlink(cache, dir_.path() / "cache");
  std::filesystem::create_directories(docker_config());
  std::filesystem::create_directories(home());
}

Store::~Store() {
  // Remove every machine this store still has, so no VM outlives the test.
  sh(binary() + " -s " + dir_.path().string() + " ls -q | xargs -r " + binary() + " -s " + dir_.path().string() +
     " rm -f -y");
}

std::string Store::binary() const {
  const char* b = std::getenv("MACHINE_BINARY");
  return b ? b : "machine";
}

Result Store::machine(const std::string& args) const {
  return sh(binary() + " -s " + dir_.path().string() + " " + args,
            {"DOCKER_CONFIG=" + docker_config(), "MACHINE_STORAGE_PATH=" + dir_.path().string(), "HOME=" + home()});
}

Result Store::with_env(const std::string& name, const std::string& script) const {
  return sh("eval \"$(" + binary() + " -s " + dir_.path().string() + " env " + name + ")\" && " + script,
            {"DOCKER_CONFIG=" + docker_config(), "SHELL=/bin/bash"});
}

bool qemu_running_with(const std::string& needle) {
  return sh("pgrep -af qemu-system | grep -F -- '" + needle + "' | grep -v pgrep").status == 0;
}

std::filesystem::path busybox_tar(const std::filesystem::path& dir) {
  auto root = dir / "busybox-root";
  auto tar = dir / "busybox.tar";
  sh("mkdir -p " + root.string() + "/bin && cp /bin/busybox " + root.string() +
     "/bin/ && for a in sh echo cat uname; do ln -sf busybox " + root.string() + "/bin/$a; done && tar -C " +
     root.string() + " -cf " + tar.string() + " .");
  return tar;
}

std::string sha256_file(const std::filesystem::path& p) {
  auto r = sh("sha256sum '" + p.string() + "' | cut -d' ' -f1");
  return r.out;
}

}  // namespace machine::e2e
