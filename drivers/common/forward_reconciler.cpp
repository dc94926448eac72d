#include "drivers/common/forward_reconciler.h"

#include <fmt/format.h>

#include "machine/error.h"

namespace machine::drivers {

std::string ForwardChange::to_string() const {
  switch (kind) {
    case Kind::Added:
      return fmt::format("forwarding {} to guest port {}", forward.display(), forward.guest_port);
    case Kind::Removed:
      return fmt::format("removed forward {}", forward.display());
    case Kind::Skipped:
      return fmt::format("not forwarding {}: {}", forward.display(), detail);
    case Kind::Failed:
      break;
  }
  return fmt::format("cannot remove forward {}: {}", forward.display(), detail);
}

ForwardReconciler::ForwardReconciler(ForwardTarget target, std::string publish_address,
                                     std::vector<PortForward> active)
    : target_(std::move(target)),
      publish_address_(std::move(publish_address)),
      active_(active.begin(), active.end()) {}

PortForward ForwardReconciler::forward_for(const PublishedPort& p) const {
  return PortForward{p.proto, publish_address_, p.port, p.port};
}

void ForwardReconciler::skip(const PortForward& f, const std::string& why,
                             std::vector<ForwardChange>& changes) {
  auto it = skipped_.find(f);
  if (it != skipped_.end() && it->second == why) return;
  skipped_[f] = why;
  changes.push_back({ForwardChange::Kind::Skipped, f, why});
}

std::vector<ForwardChange> ForwardReconciler::reconcile(const std::set<PublishedPort>& published,
                                                        bool resync) {
  published_ = published;
  std::set<PortForward> wanted;
  for (const auto& p : published) wanted.insert(forward_for(p));
  std::vector<ForwardChange> changes;

  for (auto it = active_.begin(); it != active_.end();) {
    if (wanted.count(*it)) {
      ++it;
      continue;
    }
    try {
      target_.remove(*it);
      changes.push_back({ForwardChange::Kind::Removed, *it, ""});
      it = active_.erase(it);
    } catch (const Error& e) {
      changes.push_back({ForwardChange::Kind::Failed, *it, e.what()});
      ++it;  // tried again next time
    }
  }
  for (auto it = skipped_.begin(); it != skipped_.end();)
    it = wanted.count(it->first) ? std::next(it) : skipped_.erase(it);

  for (const auto& f : wanted) {
    bool is_active = active_.count(f) > 0;
    if (is_active && !resync) continue;
    // An active forward's port is held by the VM itself, so only new ones are probed.
    if (!is_active && !target_.port_free(f)) {
      skip(f, "the port is in use on the host", changes);
      continue;
    }
    try {
      target_.add(f);
      if (!is_active) changes.push_back({ForwardChange::Kind::Added, f, ""});
      active_.insert(f);
      skipped_.erase(f);
    } catch (const Error& e) {
      active_.erase(f);
      skip(f, e.what(), changes);
    }
  }
  return changes;
}

}  // namespace machine::drivers
