#include "tests/support/fake_process_runner.h"

#include "machine/error.h"

namespace machine::testing {

namespace {
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
}  // namespace

void FakeProcessRunner::on(const std::string& program, Handler handler) {
  std::lock_guard lock(mu_);
  handlers_.emplace_back(program, std::move(handler));
}

ProcessResult FakeProcessRunner::run(const Command& cmd) {
  Handler h;
  {
    std::lock_guard lock(mu_);
    log_.push_back(cmd);
    for (auto it = handlers_.rbegin(); it != handlers_.rend(); ++it) {
      if (ends_with(cmd.program, it->first)) {
        h = it->second;
        break;
      }
    }
  }
  if (!h) fail(Code::NotFound, "cannot find program '" + cmd.program + "' in PATH");
  return h(cmd);
}

int FakeProcessRunner::spawn_detached(const Command& cmd, const std::filesystem::path&) {
  run(cmd);
  return 4242;
}

std::optional<std::filesystem::path> FakeProcessRunner::find_program(const std::string& name) {
  std::lock_guard lock(mu_);
  for (const auto& p : present_)
    if (p == name || ends_with(name, "/" + p)) return std::filesystem::path("/usr/bin") / p;
  for (const auto& [prog, h] : handlers_)
    if (prog == name) return std::filesystem::path("/usr/bin") / name;
  return std::nullopt;
}

std::vector<std::string> FakeProcessRunner::commands() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& c : log_) out.push_back(c.to_string());
  return out;
}

std::vector<Command> FakeProcessRunner::raw_commands() const {
  std::lock_guard lock(mu_);
  return log_;
}

}  // namespace machine::testing
