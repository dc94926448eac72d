#include "drivers/virtualbox/vbox_manage.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <regex>
#include <thread>

#include "machine/error.h"

namespace machine::drivers::virtualbox {
namespace {

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string unquote(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

}  // namespace

LocateEnv current_locate_env() {
#ifdef _WIN32
  return {true, env_or_empty("VBOX_INSTALL_PATH"), env_or_empty("VBOX_MSI_INSTALL_PATH")};
#else
  return {false, env_or_empty("VBOX_INSTALL_PATH"), env_or_empty("VBOX_MSI_INSTALL_PATH")};
#endif
}

std::optional<std::filesystem::path> locate_vboxmanage(ProcessRunner& runner, const LocateEnv& env) {
  if (env.windows) {
    // Same order as docker-machine: the installer's variables, then the default folder.
    for (const auto& dir : {env.vbox_install_path, env.vbox_msi_install_path,
                            std::string("C:\\Program Files\\Oracle\\VirtualBox")}) {
      if (dir.empty()) continue;
      for (const char* exe : {"VBoxManage.exe", "VBoxManage"}) {
        if (auto p = runner.find_program((std::filesystem::path(dir) / exe).string())) return p;
      }
    }
  }
  return runner.find_program("VBoxManage");
}

bool VBoxVersion::at_least(int ma, int mi, int pa) const {
  if (major != ma) return major > ma;
  if (minor != mi) return minor > mi;
  return patch >= pa;
}

std::optional<VBoxVersion> parse_version(std::string_view output) {
  std::string last;
  size_t start = 0;
  while (start <= output.size()) {
    size_t end = output.find('\n', start);
    if (end == std::string_view::npos) end = output.size();
    auto line = trim(output.substr(start, end - start));
    if (!line.empty()) last = line;
    start = end + 1;
  }
  // At most 9 digits a part, so std::stoi cannot overflow (found by tests/fuzz/vboxmanage).
  static const std::regex re(R"(^(\d{1,9})\.(\d{1,9})(?:\.(\d{1,9}))?(?!\d))");
  std::smatch m;
  if (!std::regex_search(last, m, re)) return std::nullopt;
  VBoxVersion v;
  v.major = std::stoi(m[1]);
  v.minor = std::stoi(m[2]);
  v.patch = m[3].matched ? std::stoi(m[3]) : 0;
  v.text = last;
  return v;
}

VBoxVersion check_version(std::string_view output) {
  auto v = parse_version(output);
  if (!v || v->major < 5) {
    fail(Code::FailedPrecondition,
         fmt::format("We support Virtualbox starting with version 5. Your VirtualBox install is \"{}\". "
                     "Please upgrade at https://www.virtualbox.org",
                     v ? v->text : trim(output)));
  }
  return *v;
}

std::map<std::string, std::string> parse_machine_readable(std::string_view output) {
  std::map<std::string, std::string> kv;
  size_t start = 0;
  while (start < output.size()) {
    size_t end = output.find('\n', start);
    if (end == std::string_view::npos) end = output.size();
    std::string line(output.substr(start, end - start));
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    // Keys may be quoted ("SATA-0-0"="...") and values may contain '='.
    size_t eq = std::string::npos;
    if (!line.empty() && line[0] == '"') {
      auto close = line.find('"', 1);
      if (close != std::string::npos && close + 1 < line.size() && line[close + 1] == '=') eq = close + 1;
    } else {
      eq = line.find('=');
    }
    if (eq == std::string::npos || eq == 0) continue;
    kv[unquote(line.substr(0, eq))] = unquote(line.substr(eq + 1));
  }
  return kv;
}

std::optional<std::string> vm_uuid_named(std::string_view list_vms, const std::string& name) {
  // The name may hold quotes or braces itself: the UUID is the last {...} of the line.
  std::size_t start = 0;
  while (start < list_vms.size()) {
    auto end = list_vms.find('\n', start);
    if (end == std::string_view::npos) end = list_vms.size();
    auto line = list_vms.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    start = end + 1;
    auto open = line.rfind(" {");
    if (open == std::string_view::npos || line.size() < 2 || line.back() != '}' || line.front() != '"')
      continue;
    auto quoted = line.substr(0, open);
    if (quoted.size() < 2 || quoted.back() != '"') continue;
    if (quoted.substr(1, quoted.size() - 2) == name)
      return std::string(line.substr(open + 2, line.size() - open - 3));
  }
  return std::nullopt;
}

bool is_machine_not_found(std::string_view err) {
  return err.find("Could not find a registered machine named") != std::string_view::npos;
}

VBoxManage::VBoxManage(ProcessRunner& runner, std::filesystem::path program)
    : runner_(runner), program_(std::move(program)) {}

ProcessResult VBoxManage::try_run(const std::vector<std::string>& args) {
  if (program_.empty()) fail(Code::FailedPrecondition, std::string(kVBoxManageNotFound));
  history_.push_back(args);
  Command cmd{program_.string(), args, {}, std::nullopt, std::chrono::minutes(5), {}};
  ProcessResult r;
  // VirtualBox answers "The object is not ready" while a session is still closing.
  for (int attempt = 0; attempt < 5; ++attempt) {
    r = runner_.run(cmd);
    if (r.err.find("error: The object is not ready") == std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (r.exit_code == 0 && !r.timed_out && r.err.find("error:") != std::string::npos) r.exit_code = 1;
  return r;
}

ProcessResult VBoxManage::run(const std::vector<std::string>& args) {
  auto r = try_run(args);
  check(args, r);
  return r;
}

void VBoxManage::check(const std::vector<std::string>& args, const ProcessResult& r) {
  if (r.ok()) return;
  // Same message shape as run_checked, with the program shown as "VBoxManage".
  struct Replay final : ProcessRunner {
    ProcessResult result;
    ProcessResult run(const Command&) override { return result; }
    int spawn_detached(const Command&, const std::filesystem::path&) override { return -1; }
    std::optional<std::filesystem::path> find_program(const std::string&) override { return {}; }
  } replay;
  replay.result = r;
  run_checked(replay, Command{"VBoxManage", args, {}, std::nullopt, std::chrono::minutes(5), {}},
              "VBoxManage");
}

}  // namespace machine::drivers::virtualbox
