#pragma once
// A ProcessRunner that records commands and answers from a script of handlers, for unit
// tests of logic around external tools. Real processes belong in integration tests.
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "machine/process_runner.h"

namespace machine::testing {

class FakeProcessRunner final : public ProcessRunner {
 public:
  using Handler = std::function<ProcessResult(const Command&)>;

  // Commands whose program ends with `program` are answered by `handler` (last added wins).
  void on(const std::string& program, Handler handler);
  // Programs find_program() reports as present (by name); everything else is missing.
  void provide(const std::string& program) { present_.push_back(program); }

  ProcessResult run(const Command& cmd) override;
  int spawn_detached(const Command& cmd, const std::filesystem::path& log_path) override;
  std::optional<std::filesystem::path> find_program(const std::string& name) override;

  // Every command run or spawned, as "program arg1 arg2" strings, in order.
  std::vector<std::string> commands() const;
  std::vector<Command> raw_commands() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::pair<std::string, Handler>> handlers_;
  std::vector<std::string> present_;
  std::vector<Command> log_;
};

inline ProcessResult ok_result(std::string out = "") { return ProcessResult{0, std::move(out), "", false}; }
inline ProcessResult fail_result(int code, std::string err) {
  return ProcessResult{code, "", std::move(err), false};
}

}  // namespace machine::testing
