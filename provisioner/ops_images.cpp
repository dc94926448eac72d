// Which machines depend on a cached image: an overlay whose backing file is removed or
// rebuilt in place cannot boot (or silently reads other data), so image rm and
// image build --force refuse while machines use it.
#include <algorithm>

#include "provisioner/ops.h"

namespace machine::ops {
namespace {
bool mentions(const nlohmann::json& j, const std::string& prefix) {
  if (j.is_string()) return j.get<std::string>().rfind(prefix, 0) == 0;
  if (j.is_structured())
    return std::any_of(j.begin(), j.end(), [&](const nlohmann::json& v) { return mentions(v, prefix); });
  return false;
}
}  // namespace

std::vector<std::string> machines_using(Env& env, const std::filesystem::path& dir) {
  std::error_code ec;
  auto canonical = std::filesystem::weakly_canonical(dir, ec);
  std::vector<std::string> prefixes{dir.string() + "/"};
  if (!ec) prefixes.push_back(canonical.string() + "/");
  std::vector<std::string> users;
  for (const auto& name : env.store.list()) {
    try {
      Host h = env.store.load(name);
      for (const auto& p : prefixes) {
        if (mentions(h.driver, p)) {
          users.push_back(name);
          break;
        }
      }
    } catch (const std::exception&) {
      // A broken machine cannot be started anyway; rm -f cleans it.
    }
  }
  std::sort(users.begin(), users.end());
  return users;
}

}  // namespace machine::ops
